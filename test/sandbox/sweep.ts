import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { IPTABLES_COMMENT, NAME_PREFIX, sandboxRoot } from "./constants";
import { log } from "./log";
import { listNetns } from "./network";
import { isAlive, listProcs, terminate } from "./procfs";
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

/** Takes down sandboxes whose owner process died (crashed test runs); leaves live and kept ones alone. */
export async function sweepStaleSandboxes(): Promise<string[]> {
  if (process.getuid?.() !== 0) return [];
  const swept: string[] = [];
  for (const d of listSandboxDirs(sandboxRoot())) {
    const stale = d.state ? isStale(d.state) : Date.now() - statSync(d.dir).mtimeMs > STATELESS_GRACE_MS;
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
 * Takes down every Phoenix sandbox on this machine, live or not, and then whatever a sandbox may have
 * left without a state file: namespaces, links and iptables rules named after the sandbox prefix.
 */
export async function downAllSandboxes(): Promise<string[]> {
  const names = listSandboxDirs(sandboxRoot()).map((d) => d.name);
  for (const name of names) await downSandbox(name);

  const procs = listProcs();
  for (const ns of (await listNetns()).filter((n) => n.startsWith(`${NAME_PREFIX}-`))) {
    let id: string | undefined;
    try {
      id = `net:[${statSync(`/var/run/netns/${ns}`).ino}]`;
    } catch {}
    await terminate(
      procs.filter((p) => p.netns === id),
      2_000,
    );
    await runCommand("ip", ["netns", "del", ns], { reject: false });
  }
  const links = await runCommand("ip", ["-j", "link", "show"]);
  const linkPattern = new RegExp(`^${NAME_PREFIX}\\d+(g\\d+)?$`);
  for (const l of JSON.parse(links.stdout) as { ifname: string }[]) {
    if (linkPattern.test(l.ifname)) await runCommand("ip", ["link", "del", l.ifname], { reject: false });
  }
  const rules = await runCommand("iptables", ["-S", "FORWARD"], { reject: false });
  for (const line of rules.stdout.split("\n")) {
    if (!line.includes(`${IPTABLES_COMMENT} `)) continue;
    const args = splitRule(line);
    if (args[0] !== "-A") continue;
    await runCommand("iptables", ["-D", ...args.slice(1)], { reject: false });
  }
  return names;
}
