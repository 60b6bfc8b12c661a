import { existsSync, readFileSync, statSync } from "node:fs";
import { IPTABLES_COMMENT } from "./constants";
import { descendants, isAlive, listProcs, type ProcRef } from "./procfs";
import { runCommand } from "./run-command";
import type { SandboxState } from "./state";

/** Everything a running sandbox occupies on the host, taken before `down` to check afterwards. */
export interface Footprint {
  name: string;
  dir: string;
  bridge: string | undefined;
  veths: string[];
  netns: string[];
  /** dockerd, containerd, shims, containers, nats-server, spawned processes. */
  procs: (ProcRef & { cmd: string })[];
}

/** Records what a sandbox occupies now (processes found through its directory and its namespaces). */
export function footprint(state: SandboxState): Footprint {
  const nsIds = new Set<string>();
  for (const g of state.guests) {
    try {
      nsIds.add(`net:[${statSync(`/var/run/netns/${g.netns}`).ino}]`);
    } catch {}
  }
  const all = listProcs();
  const roots = all.filter(
    (p) =>
      p.pid !== process.pid &&
      ((p.netns !== undefined && nsIds.has(p.netns)) || p.cmdline.some((a) => a.includes(`${state.dir}/`))),
  );
  const procs = [
    ...roots,
    ...descendants(
      roots.map((p) => p.pid),
      all,
    ),
  ];
  return {
    name: state.name,
    dir: state.dir,
    bridge: state.bridge,
    veths: state.guests.map((g) => g.veth),
    netns: state.guests.map((g) => g.netns),
    procs: procs.map((p) => ({ pid: p.pid, start: p.start, cmd: p.cmdline.join(" ").slice(0, 120) })),
  };
}

/** What of a sandbox is still on the host: one line per leftover; empty when `down` left nothing. */
export async function findLeftovers(fp: Footprint): Promise<string[]> {
  const found: string[] = [];
  if (existsSync(fp.dir)) found.push(`directory ${fp.dir}`);
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const point = line.split(" ")[4] ?? "";
    if (
      point.startsWith(`${fp.dir}/`) ||
      point === fp.dir ||
      fp.netns.some((n) => point === `/run/netns/${n}`)
    ) {
      found.push(`mount ${point}`);
    }
  }
  const netns = (await runCommand("ip", ["netns", "list"])).stdout;
  for (const n of fp.netns)
    if (netns.split("\n").some((l) => l.split(" ")[0] === n)) found.push(`netns ${n}`);
  const links = (await runCommand("ip", ["-o", "link", "show"])).stdout;
  for (const l of [fp.bridge, ...fp.veths]) {
    if (l && new RegExp(`^\\d+: ${l}[@:]`, "m").test(links)) found.push(`link ${l}`);
  }
  for (const p of fp.procs) if (isAlive(p)) found.push(`process ${p.pid} ${p.cmd}`);
  for (const p of listProcs()) {
    if (p.pid !== process.pid && p.cmdline.some((a) => a.includes(`${fp.dir}/`)))
      found.push(`process ${p.pid} ${p.cmdline.join(" ")}`);
  }
  const rules = (await runCommand("iptables", ["-S"])).stdout;
  for (const line of rules.split("\n")) {
    if (line.includes(`"${IPTABLES_COMMENT} ${fp.name}"`) || (fp.bridge && line.includes(` ${fp.bridge} `))) {
      found.push(`iptables ${line}`);
    }
  }
  return found;
}
