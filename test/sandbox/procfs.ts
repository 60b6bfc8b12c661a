import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A process as recorded in a state file: the pid plus its start time, so a reused pid is never mistaken for it. */
export interface ProcRef {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  start: number;
}

/** What the sandbox needs to know about a running process. */
export interface ProcInfo extends ProcRef {
  ppid: number;
  /** One-letter state; "Z" is a zombie (already dead). */
  state: string;
  cmdline: string[];
  /** `net:[inode]` of its network namespace, when readable. */
  netns: string | undefined;
}

/** Reads one process from /proc; undefined when it is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: parse after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0] ?? "?";
  const ppid = Number(fields[1]);
  const start = Number(fields[19]);
  let cmdline: string[] = [];
  let netns: string | undefined;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((a) => a !== "");
  } catch {}
  try {
    netns = readlinkSync(`/proc/${pid}/ns/net`);
  } catch {}
  return { pid, ppid, start, state, cmdline, netns };
}

/** Every process on the machine. */
export function listProcs(): ProcInfo[] {
  const procs: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) procs.push(info);
  }
  return procs;
}

/** The ref of a running process (pid + start time), for the state file. */
export function procRef(pid: number): ProcRef | undefined {
  const info = readProc(pid);
  return info ? { pid, start: info.start } : undefined;
}

/** True while the very process of the ref runs (not a zombie, not a newer process with the same pid). */
export function isAlive(ref: ProcRef): boolean {
  const info = readProc(ref.pid);
  return info !== undefined && info.start === ref.start && info.state !== "Z";
}

/** The processes below the given roots (children, grandchildren, ...), roots excluded. */
export function descendants(roots: readonly number[], procs: readonly ProcInfo[]): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const found: ProcInfo[] = [];
  const queue = [...roots];
  const seen = new Set(roots);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

function signal(ref: ProcRef, sig: NodeJS.Signals): void {
  if (!isAlive(ref)) return;
  try {
    process.kill(ref.pid, sig);
  } catch {}
}

/** Waits until none of the processes runs any more; false when some still run after `timeoutMs`. */
export async function waitGone(refs: readonly ProcRef[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (refs.every((r) => !isAlive(r))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops processes: SIGTERM, up to `graceMs` to exit, then SIGKILL and a wait for them to be gone. */
export async function terminate(refs: readonly ProcRef[], graceMs: number): Promise<void> {
  const live = refs.filter(isAlive);
  if (live.length === 0) return;
  if (graceMs > 0) {
    for (const r of live) signal(r, "SIGTERM");
    if (await waitGone(live, graceMs)) return;
  }
  for (const r of live) signal(r, "SIGKILL");
  await waitGone(live, 5_000);
}
