import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { log } from "./log";
import { linkExists } from "./network";
import { descendants, isAlive, listProcs, type ProcInfo, type ProcRef, terminate } from "./procfs";
import { runCommand } from "./run-command";
import type { GuestState, SandboxState } from "./state";

const SPAWNED_GRACE_MS = 2_000;
const DOCKERD_GRACE_MS = 10_000;
const CONTAINERD_GRACE_MS = 5_000;
const NATS_GRACE_MS = 3_000;

/** `net:[inode]` of a named network namespace, undefined when it does not exist. */
function netnsId(netns: string): string | undefined {
  try {
    return `net:[${statSync(`/var/run/netns/${netns}`).ino}]`;
  } catch {
    return undefined;
  }
}

/** True when a process belongs to a guest: started from its directory or living in its network namespace. */
function belongsToGuest(p: ProcInfo, g: GuestState, nsId: string | undefined): boolean {
  if (nsId !== undefined && p.netns === nsId) return true;
  return p.cmdline.some((a) => a === g.dir || a.startsWith(`${g.dir}/`));
}

/** The shim processes of a guest's containerd (their `-address` is under the guest's directory). */
function shimsOf(g: GuestState, procs: readonly ProcInfo[]): ProcInfo[] {
  return procs.filter((p) => {
    if (!p.cmdline[0]?.includes("containerd-shim")) return false;
    const i = p.cmdline.indexOf("-address");
    const address = i >= 0 ? p.cmdline[i + 1] : undefined;
    return address?.startsWith(`${g.dir}/`) ?? false;
  });
}

/**
 * The socket a shim made under /run/containerd/s (containerd 1.6 puts it there whatever its own
 * address, named by sha256 of `<address>/<namespace>/<id>`); a killed shim leaves it behind.
 */
export function shimSocket(cmdline: readonly string[]): string | undefined {
  const arg = (flag: string) => {
    const i = cmdline.indexOf(flag);
    return i >= 0 ? cmdline[i + 1] : undefined;
  };
  const [address, namespace, id] = [arg("-address"), arg("-namespace"), arg("-id")];
  if (!address || !namespace || !id) return undefined;
  return `/run/containerd/s/${createHash("sha256").update(`${address}/${namespace}/${id}`).digest("hex")}`;
}

/** Removes every container of a guest through its API (they were killed just before, so this is quick). */
async function removeContainers(g: GuestState): Promise<void> {
  const docker = new Docker({ socketPath: join(g.dir, "docker.sock"), timeout: 10_000 });
  const containers = await docker.listContainers({ all: true });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
}

/** Stops one guest's processes in the order that leaves nothing behind. */
async function stopGuest(g: GuestState): Promise<void> {
  const nsId = netnsId(g.netns);
  const infra = new Set([g.dockerd?.pid, g.containerd?.pid]);
  let procs = listProcs();
  // 1. Everything else in the guest (agents, stray children), so nothing reacts to the steps below.
  const shimPids = shimsOf(g, procs).map((p) => p.pid);
  const inner = new Set([
    ...[...infra].filter((p): p is number => p !== undefined),
    ...shimPids,
    ...descendants(
      [...infra].filter((p): p is number => p !== undefined),
      procs,
    ).map((p) => p.pid),
    ...descendants(shimPids, procs).map((p) => p.pid),
  ]);
  const strays = procs.filter((p) => !inner.has(p.pid) && belongsToGuest(p, g, nsId));
  await terminate(strays, SPAWNED_GRACE_MS);
  // 2. Container processes, then the containers themselves through the API while dockerd still runs.
  procs = listProcs();
  await terminate(
    descendants(
      shimsOf(g, procs).map((p) => p.pid),
      procs,
    ),
    0,
  );
  if (g.dockerd && isAlive(g.dockerd) && existsSync(join(g.dir, "docker.sock"))) {
    await removeContainers(g).catch((e: unknown) =>
      log.warn({ guest: g.name, err: String(e) }, "removing containers"),
    );
  }
  // 3. dockerd, then containerd.
  if (g.dockerd) await terminate([g.dockerd], DOCKERD_GRACE_MS);
  if (g.containerd) await terminate([g.containerd], CONTAINERD_GRACE_MS);
  // 4. Leftover shims and whatever still runs from the guest's directory or namespace.
  procs = listProcs();
  const shims = shimsOf(g, procs);
  await terminate(
    [
      ...shims,
      ...descendants(
        shims.map((p) => p.pid),
        procs,
      ),
    ],
    0,
  );
  procs = listProcs();
  const rest = procs.filter((p) => belongsToGuest(p, g, nsId));
  await terminate(
    [
      ...rest,
      ...descendants(
        rest.map((p) => p.pid),
        procs,
      ),
    ],
    0,
  );
}

/** Mount points at or under a directory, deepest first. */
export function mountsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const point = line.split(" ")[4]?.replace(/\\040/g, " ");
    if (point && (point === dir || point.startsWith(`${dir}/`))) found.push(point);
  }
  return [...new Set(found)].sort((a, b) => b.split("/").length - a.split("/").length);
}

async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    await runCommand("umount", ["-l", ...points], { reject: false });
  }
}

async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (e) {
      if (attempt === 4) throw e;
      await unmountAll(dir);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Deletes network objects; each step tolerates "already gone". */
async function removeNetwork(state: SandboxState): Promise<void> {
  await Promise.all(
    state.guests.map(async (g) => {
      if (await linkExists(g.veth)) await runCommand("ip", ["link", "del", g.veth], { reject: false });
      if (existsSync(`/var/run/netns/${g.netns}`))
        await runCommand("ip", ["netns", "del", g.netns], { reject: false });
    }),
  );
  if (state.bridge && (await linkExists(state.bridge))) {
    await runCommand("ip", ["link", "del", state.bridge], { reject: false });
  }
  if (state.iptablesRule) {
    for (let i = 0; i < 10; i++) {
      const r = await runCommand("iptables", ["-D", "FORWARD", ...state.iptablesRule], { reject: false });
      if (r.code !== 0) break;
    }
  }
}

/**
 * Takes a sandbox down from its state alone, so it works from any process and after a crash:
 * spawned processes, containers, dockerd, containerd, shims, nats-server, then mounts, then the
 * namespaces, veths, bridge and iptables rule, then the directory.
 */
export async function teardown(state: SandboxState, extra: readonly ProcRef[] = []): Promise<void> {
  const started = Date.now();
  await terminate([...state.spawned, ...extra], SPAWNED_GRACE_MS);
  await Promise.all(state.guests.map(stopGuest));
  if (state.nats?.proc) await terminate([state.nats.proc], NATS_GRACE_MS);
  // Anything else started from the sandbox directory (nothing, when all went well).
  const procs = listProcs().filter(
    (p) => p.pid !== process.pid && p.cmdline.some((a) => a.startsWith(`${state.dir}/`)),
  );
  await terminate(procs, 0);
  await unmountAll(state.dir);
  await removeNetwork(state);
  await removeDir(state.dir);
  log.info({ sandbox: state.name, ms: Date.now() - started }, "sandbox down");
}
