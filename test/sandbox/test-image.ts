import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type Docker from "dockerode";
import { TEST_IMAGE } from "./constants";
import { runCommand } from "./run-command";

/** True when an ELF file has no program interpreter, i.e. runs without a libc in the image. */
export function isStaticElf(bytes: Buffer): boolean {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2) return false;
  const phoff = Number(bytes.readBigUInt64LE(32));
  const phentsize = bytes.readUInt16LE(54);
  const phnum = bytes.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > bytes.length) return false;
    if (bytes.readUInt32LE(at) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

/**
 * Writes `<dir>/testimg.tar`: a root filesystem of busybox-static with a symlink per applet
 * (sh, sleep, httpd, nc, wget, ip, nslookup, ...) at its usual path.
 */
export async function buildTestImageTar(busybox: string, dir: string): Promise<string> {
  const binary = readFileSync(busybox);
  if (!isStaticElf(binary)) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `${busybox} is not statically linked: apt-get install -y busybox-static (it replaces the dynamic busybox)`,
    );
  }
  const rootfs = join(dir, "testimg-rootfs");
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  writeFileSync(join(rootfs, "bin", "busybox"), binary, { mode: 0o755 });
  const applets = (await runCommand(busybox, ["--list-full"])).stdout.split("\n").filter((l) => l !== "");
  for (const applet of applets) {
    if (applet === "bin/busybox") continue;
    mkdirSync(join(rootfs, dirname(applet)), { recursive: true });
    symlinkSync("/bin/busybox", join(rootfs, applet));
  }
  for (const d of ["etc", "tmp", "root", "www", "var/www"]) mkdirSync(join(rootfs, d), { recursive: true });
  writeFileSync(
    join(rootfs, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  writeFileSync(join(rootfs, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  const tar = join(dir, "testimg.tar");
  await runCommand("tar", ["-C", rootfs, "--numeric-owner", "--owner=0", "--group=0", "-cf", tar, "."]);
  rmSync(rootfs, { recursive: true, force: true });
  return tar;
}

/** Imports the test image tar into one dockerd as TEST_IMAGE. */
export async function importTestImage(docker: Docker, tar: string): Promise<void> {
  const [repo, tag] = TEST_IMAGE.split(":") as [string, string];
  const stream = await docker.importImage(tar, {
    repo,
    tag,
    changes: ['CMD ["sh"]', "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  } as Parameters<Docker["importImage"]>[1]);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new PhoenixError(ErrorCode.DOCKER, `docker import ${TEST_IMAGE} failed: ${failed}`));
      else resolve();
    });
  });
}
