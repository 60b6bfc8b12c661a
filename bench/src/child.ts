import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { inheritedEnv } from "../../test/sandbox/inherited-env";

/** This process's open-file limits (RLIMIT_NOFILE), which children inherit. */
export function openFileLimits(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(
    readFileSync("/proc/self/limits", "utf8"),
  );
  const num = (v: string | undefined) =>
    v === undefined || v === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(v);
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

/** Options of spawnNode. */
export interface SpawnNodeOptions {
  env?: NodeJS.ProcessEnv;
  /** Open an IPC channel (process.send / "message"). */
  ipc?: boolean;
  /** Open files the child needs: its soft limit is raised towards this, as far as the hard limit allows. */
  nofile?: number;
  /** Where the child's stdout and stderr go (appended); default: dropped. */
  logFile?: string;
  /** Called with each line the child writes on stderr (still also written to logFile). */
  onStderrLine?: (line: string) => void;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
}

/**
 * Starts `node <script> <args>` as a child of this process, with the given limits and log file.
 * With BENCH_CPU_PROF=<dir> in the environment every child writes a V8 CPU profile there on exit.
 */
export function spawnNode(script: string, args: readonly string[], o: SpawnNodeOptions = {}): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF
    ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_CPU_PROF]
    : [];
  const node = [process.execPath, ...profile, ...(o.nodeArgs ?? []), script, ...args];
  const quoted = node.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const limits = openFileLimits();
  const raise =
    o.nofile !== undefined && limits.soft < o.nofile ? Math.min(o.nofile, limits.hard) : undefined;
  const [cmd, argv] =
    raise === undefined
      ? [node[0]!, node.slice(1)]
      : ["/bin/sh", ["-c", `ulimit -n ${raise} && exec ${quoted}`]];
  const stdio: ("ignore" | "pipe" | "ipc")[] = ["ignore", "pipe", "pipe"];
  if (o.ipc) stdio.push("ipc");
  const child = spawn(cmd, argv, { env: o.env ?? inheritedEnv(), stdio });
  const log = o.logFile ? createWriteStream(o.logFile, { flags: "a" }) : undefined;
  if (log) child.stdout!.pipe(log, { end: false });
  else child.stdout!.resume();
  createInterface({ input: child.stderr! }).on("line", (line) => {
    log?.write(`${line}\n`);
    o.onStderrLine?.(line);
  });
  child.on("exit", () => setTimeout(() => log?.end(), 100).unref());
  return child;
}

/** Resolves when the child has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Stops a child: SIGTERM, up to `graceMs` to exit, then SIGKILL. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Waits until `test` holds, polling every `everyMs`; throws `what` after `timeoutMs`. */
export async function waitUntil(
  test: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await test()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Sends one IPC request and resolves with the first reply of the matching type. */
export function request<T>(
  child: ChildProcess,
  msg: { type: string; [key: string]: unknown },
  reply: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: { type?: string; error?: string }) => {
      if (m?.type === "error") {
        done();
        reject(new Error(`${msg.type}: ${m.error}`));
      } else if (m?.type === reply) {
        done();
        resolve(m as T);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`${msg.type}: the process exited (${signal ?? `code ${code}`})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${msg.type}: no ${reply} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
    child.send(msg);
  });
}
