import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { IPTABLES_COMMENT, NAME_PREFIX, sandboxRoot } from "./constants";
import { log } from "./log";
import { listNetns } from "./network";
import { isAlive, listProcs } from "./procfs";
import { runCommand } from "./run-command";
import { listSandboxDirs, readState, type SandboxState } from "./state";
import { mountsUnder, teardown } from "./teardown";

/** A sandbox directory lacking a state file is only a half-made one after this long. */
const STATELESS_GRACE_MS = 60_000;

/** The state of every sandbox on this machine (those with a readable state file). */
export function listSandboxes(): SandboxState[] {
  return listSandboxDirs(sandboxRoot())
    .map((d) => d.state)
    .filter((s): s is SandboxState => s !== undefined);
}

/** True when the sandbox's owner died without taking it down (and it was not kept on purpose). */
export function isStale(state: SandboxState): boolean {
  return !state.keep && (state.owner === undefined || !isAlive(state.owner));
}

/** Takes one sandbox down by name, from any process; false when there was none. */
export async function downSandbox(name: string): Promise<boolean> {
  const dir = join(sandboxRoot(), name);
  const state = readState(dir);
  if (state) {
    await teardown(state);
    return true;
  }
  if (!existsSync(dir)) return false;
  // The state file is written right after the directory, before anything else: only the directory exists.
  for (const point of mountsUnder(dir)) await runCommand("umount", ["-l", point], { reject: false });
  rmSync(dir, { recursive: true, force: true });
  return true;
}

/** Modification time of a path in ms, now when it vanished meanwhile. */
function ageOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

/** Takes down sandboxes whose owner process died (crashed test runs); leaves live and kept ones alone. */
export async function sweepStaleSandboxes(): Promise<string[]> {
  if (process.getuid?.() !== 0) return [];
  const swept: string[] = [];
  for (const d of listSandboxDirs(sandboxRoot())) {
    const stale = d.state ? isStale(d.state) : Date.now() - ageOf(d.dir) > STATELESS_GRACE_MS;
    if (!stale) continue;
    log.warn({ sandbox: d.name }, "taking down a stale sandbox");
    await downSandbox(d.name);
    swept.push(d.name);
  }
  return swept;
}

/** Splits an `iptables -S` line into arguments (double-quoted words kept whole). */
export function splitRule(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

/**
 * Takes down every sandbox under the sandbox root, live or not, then sweeps orphans: namespaces,
 * bridges and iptables rules named like a sandbox's that no sandbox's state holds and that nothing
 * uses (a namespace with no process, a bridge with no port, a rule whose bridge is gone). Sandboxes
 * of another root keep running: theirs are in use.
 */
export async function downAllSandboxes(): Promise<string[]> {
  const names = listSandboxDirs(sandboxRoot()).map((d) => d.name);
  for (const name of names) await downSandbox(name);
  await sweepOrphans();
  return names;
}

async function sweepOrphans(): Promise<void> {
  const held = listSandboxes();
  const heldNetns = new Set(held.flatMap((s) => s.guests.map((g) => g.netns)));
  const heldBridges = new Set(held.map((s) => s.bridge));
  const inUse = new Set(listProcs().map((p) => p.netns));
  for (const ns of (await listNetns()).filter((n) => n.startsWith(`${NAME_PREFIX}-`) && !heldNetns.has(n))) {
    let id: string | undefined;
    try {
      id = `net:[${statSync(`/var/run/netns/${ns}`).ino}]`;
    } catch {}
    if (id !== undefined && inUse.has(id)) continue;
    log.warn({ netns: ns }, "deleting an orphan sandbox namespace");
    await runCommand("ip", ["netns", "del", ns], { reject: false });
  }
  const links = JSON.parse((await runCommand("ip", ["-j", "link", "show"])).stdout) as {
    ifname: string;
    master?: string;
  }[];
  const bridgePattern = new RegExp(`^${NAME_PREFIX}\\d+$`);
  const ported = new Set(links.map((l) => l.master));
  for (const l of links) {
    if (!bridgePattern.test(l.ifname) || heldBridges.has(l.ifname) || ported.has(l.ifname)) continue;
    log.warn({ bridge: l.ifname }, "deleting an orphan sandbox bridge");
    await runCommand("ip", ["link", "del", l.ifname], { reject: false });
  }
  const remaining = new Set(
    (JSON.parse((await runCommand("ip", ["-j", "link", "show"])).stdout) as { ifname: string }[]).map(
      (l) => l.ifname,
    ),
  );
  const rules = await runCommand("iptables", ["-S", "FORWARD"], { reject: false });
  for (const line of rules.stdout.split("\n")) {
    const args = splitRule(line);
    const comment = args[args.indexOf("--comment") + 1] ?? "";
    const bridge = args[args.indexOf("-i") + 1] ?? "";
    if (args[0] !== "-A" || !comment.startsWith(`${IPTABLES_COMMENT} `) || remaining.has(bridge)) continue;
    log.warn({ rule: line }, "deleting an orphan sandbox iptables rule");
    await runCommand("iptables", ["-D", ...args.slice(1)], { reject: false });
  }
}
