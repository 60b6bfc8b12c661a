import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of a V8 CPU profile. */
export interface HotSpot {
  name: string;
  /** Milliseconds spent in the function itself. */
  selfMs: number;
  /** Milliseconds spent in it and what it called. */
  totalMs: number;
}

/** Self and total time per function (by name and place) of a V8 CPU profile, hottest first. */
export function hotSpots(profile: CpuProfile, top = 25): HotSpot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url.split("/").slice(-2).join("/");
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = byId.get(id)!;
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + ms);
    }
  });
  return [...self.entries()]
    .map(([name, selfMs]) => ({ name, selfMs, totalMs: total.get(name) ?? selfMs }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
}

/** Reads a .cpuprofile file. */
export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
}
