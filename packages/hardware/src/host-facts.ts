import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "./run-command";
import type { VirtFacts } from "./virtualization";

/** Facts about the operating system read from /etc/os-release. */
export interface OsRelease {
  id?: string;
  name?: string;
  versionId?: string;
}

/** A file's text, undefined when it cannot be read. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Parses the KEY=value lines of os-release(5), unquoting values. */
export function parseOsRelease(text: string): OsRelease {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([A-Z_]+)=(.*)$/);
    if (!m) continue;
    vars[m[1]!] = m[2]!.trim().replace(/^(["'])(.*)\1$/, "$2");
  }
  return { id: vars.ID, name: vars.NAME, versionId: vars.VERSION_ID };
}

/** /etc/os-release, falling back to /usr/lib/os-release. */
export async function readOsRelease(root: string): Promise<OsRelease> {
  const text =
    (await readText(join(root, "etc/os-release"))) ?? (await readText(join(root, "usr/lib/os-release")));
  return text ? parseOsRelease(text) : {};
}

/** The machine id from /etc/machine-id (or the D-Bus copy), empty when the guest has none. */
export async function readMachineId(root: string): Promise<string> {
  for (const p of ["etc/machine-id", "var/lib/dbus/machine-id"]) {
    const id = (await readText(join(root, p)))?.trim();
    if (id) return id;
  }
  return "";
}

const DMI_FILES = {
  sysVendor: "sys_vendor",
  productName: "product_name",
  productSerial: "product_serial",
  boardVendor: "board_vendor",
  chassisVendor: "chassis_vendor",
  chassisAssetTag: "chassis_asset_tag",
  biosVendor: "bios_vendor",
} as const;

/** Reads what the guest's files say about virtualization (DMI, container markers, CPU flags). */
export async function readVirtFacts(root: string): Promise<Omit<VirtFacts, "detectVirt">> {
  const dmi: VirtFacts["dmi"] = {};
  for (const [key, file] of Object.entries(DMI_FILES)) {
    const v = (await readText(join(root, "sys/class/dmi/id", file)))?.trim();
    if (v) dmi[key as keyof typeof DMI_FILES] = v;
  }
  const environ = await readText(join(root, "proc/1/environ"));
  const pid1Container = environ
    ?.split("\0")
    .find((e) => e.startsWith("container="))
    ?.slice("container=".length);
  const cpuinfo = await readText(join(root, "proc/cpuinfo"));
  return {
    dmi,
    systemdContainer: (await readText(join(root, "run/systemd/container")))?.trim() || undefined,
    pid1Container: pid1Container || undefined,
    dockerenv: await exists(join(root, ".dockerenv")),
    containerenv: await exists(join(root, "run/.containerenv")),
    cpuHypervisorFlag: cpuinfo ? /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo) : undefined,
  };
}

/** Output of `systemd-detect-virt` (e.g. "kvm", "lxc", "none"), or undefined where it is not installed. */
export async function runDetectVirt(timeoutMs = 3000): Promise<string | undefined> {
  const r = await runCommand("systemd-detect-virt", [], { timeoutMs });
  const out = r.stdout.trim();
  // It exits 1 and prints "none" on bare metal.
  return out && !r.timedOut && r.code === undefined ? out : undefined;
}
