import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";

/** A program the sandbox runs, and the Debian package that provides it. */
interface Need {
  program: string;
  pkg: string;
}

const BASE: Need[] = [
  { program: "ip", pkg: "iproute2" },
  { program: "iptables", pkg: "iptables" },
  { program: "nsenter", pkg: "util-linux" },
  { program: "unshare", pkg: "util-linux" },
  { program: "umount", pkg: "mount" },
  { program: "dockerd", pkg: "docker.io" },
  { program: "containerd", pkg: "containerd" },
  { program: "containerd-shim-runc-v2", pkg: "containerd" },
  { program: "runc", pkg: "runc" },
];

/** Full path of a program on PATH (plus the sbin directories), or undefined. */
export function findProgram(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

/** Fails unless this process runs as root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new PhoenixError(
      ErrorCode.PERMISSION_DENIED,
      "the sandbox needs root (network namespaces, a bridge, iptables, dockerd): run it as root, e.g. `sudo npm run sandbox -- up`",
    );
  }
}

/** What is missing to run a sandbox, as one line with the apt-get command; undefined when nothing is. */
export function missingPrograms(
  opts: { nats: boolean; image: boolean },
  find: (program: string) => string | undefined = findProgram,
): string | undefined {
  const needs = [...BASE];
  if (opts.nats) needs.push({ program: "nats-server", pkg: "nats-server" });
  if (opts.image) needs.push({ program: "busybox", pkg: "busybox-static" }, { program: "tar", pkg: "tar" });
  const missing = needs.filter((n) => find(n.program) === undefined);
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map((m) => m.pkg))].join(" ");
  return `missing ${missing.map((m) => m.program).join(", ")}: apt-get install -y ${pkgs}`;
}

/** Fails with one clear message when the sandbox cannot run here: not root, or programs missing (with the apt-get line). */
export function preflight(opts: { nats: boolean; image: boolean }): void {
  requireRoot();
  const missing = missingPrograms(opts);
  if (missing) throw new PhoenixError(ErrorCode.INVALID_CONFIG, missing);
}
