import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** One reading of a process: resident memory and CPU time so far. */
export interface ProcReading {
  /** performance.now() when read. */
  at: number;
  /** VmRSS in KiB. */
  rssKiB: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

/** Parses VmRSS (KiB) out of /proc/<pid>/status text. */
export function parseRssKiB(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/**
 * Parses utime + stime (fields 14 and 15) out of /proc/<pid>/stat text; with `children`, also the
 * CPU of the children it has waited for, cutime + cstime (fields 16 and 17).
 */
export function parseCpuTicks(stat: string, children = false): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const times = fields.slice(11, children ? 15 : 13).map(Number);
  return times.length === (children ? 4 : 2) && times.every(Number.isFinite)
    ? times.reduce((a, b) => a + b, 0)
    : undefined;
}

/**
 * CPU a process has used so far in milliseconds, with the CPU of the children it has waited for (a
 * daemon's short-lived helpers: dockerd's runc, docker-init and iptables runs); undefined when it is gone.
 */
export function cpuWithChildrenMs(pid: number): number | undefined {
  try {
    const ticks = parseCpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8"), true);
    return ticks === undefined ? undefined : (ticks * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Reads a process now; undefined when it is gone. */
export function readProcess(pid: number): ProcReading | undefined {
  try {
    const rssKiB = parseRssKiB(readFileSync(`/proc/${pid}/status`, "utf8"));
    const cpuTicks = parseCpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
    if (rssKiB === undefined || cpuTicks === undefined) return undefined;
    return { at: performance.now(), rssKiB, cpuTicks };
  } catch {
    return undefined;
  }
}

/** What a process used over a window. */
export interface Usage {
  /** RSS in MiB: mean of the readings, highest reading, last reading. */
  rssMeanMiB: number;
  rssPeakMiB: number;
  rssLastMiB: number;
  /** Seconds into the window of the highest reading. */
  rssPeakAtS: number;
  /** CPU time over the window as a percentage of one core. */
  cpuPercent: number;
  /** CPU time over the window in milliseconds. */
  cpuMs: number;
  /** Length of the window in seconds. */
  seconds: number;
  readings: number;
}

/** Summarises readings taken over a window (at least two). */
export function usageOf(readings: readonly ProcReading[]): Usage {
  if (readings.length < 2) throw new Error("a window needs at least two readings");
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  const seconds = (last.at - first.at) / 1000;
  const cpuMs = ((last.cpuTicks - first.cpuTicks) * 1000) / CLK_TCK;
  const rss = readings.map((r) => r.rssKiB / 1024);
  const peak = Math.max(...rss);
  return {
    rssMeanMiB: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssPeakMiB: peak,
    rssPeakAtS: (readings[rss.indexOf(peak)]!.at - first.at) / 1000,
    rssLastMiB: rss[rss.length - 1]!,
    cpuPercent: (cpuMs / 1000 / seconds) * 100,
    cpuMs,
    seconds,
    readings: readings.length,
  };
}

/**
 * Reads every process once a second (or `everyMs`) over `windowMs` and summarises each; the window
 * starts and ends with a reading of all of them, so they are measured over the same span. Throws when
 * one of them exits during the window.
 */
export async function measureProcesses(
  pids: readonly number[],
  windowMs: number,
  everyMs = 1_000,
): Promise<Usage[]> {
  const readings: ProcReading[][] = pids.map(() => []);
  const readAll = () =>
    pids.forEach((pid, i) => {
      const r = readProcess(pid);
      if (!r) throw new Error(`process ${pid} exited during the measurement`);
      readings[i]!.push(r);
    });
  const start = performance.now();
  readAll();
  for (;;) {
    const left = start + windowMs - performance.now();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(everyMs, left)));
    readAll();
  }
  return readings.map(usageOf);
}
