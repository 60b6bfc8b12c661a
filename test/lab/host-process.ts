import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { inheritedEnv } from "../sandbox/inherited-env";
import { type ProcRef, procRef } from "../sandbox/procfs";

/**
 * Starts a long-running process whose stdout and stderr are appended to `log`. A detached one gets its
 * own session and survives the process that started it (the lab's shell `up`).
 */
export function startLogged(
  start: (stdio: ["ignore", number, number]) => ChildProcess,
  log: string,
  what: string,
): { child: ChildProcess; ref: ProcRef } {
  const fd = openSync(log, "a");
  let child: ChildProcess;
  try {
    child = start(["ignore", fd, fd]);
  } finally {
    closeSync(fd);
  }
  const ref = child.pid === undefined ? undefined : procRef(child.pid);
  if (!ref) throw new PhoenixError(ErrorCode.INTERNAL, `${what} did not start (see ${log})`);
  return { child, ref };
}

/** Starts a host program with its output in `log` (see `startLogged`). */
export function startHostProcess(
  cmd: string,
  args: readonly string[],
  log: string,
  opts: { detached: boolean; env?: NodeJS.ProcessEnv },
): { child: ChildProcess; ref: ProcRef } {
  const started = startLogged(
    (stdio) => spawn(cmd, args, { stdio, detached: opts.detached, env: opts.env ?? inheritedEnv() }),
    log,
    cmd,
  );
  if (opts.detached) started.child.unref();
  return started;
}

/** The last lines of a log file ("(no log)" when it cannot be read). */
export function tailFile(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** A TCP port nothing listens on at `host` now (the kernel picks it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined; throws a TIMEOUT naming `what`. */
export async function pollFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline)
      throw new PhoenixError(ErrorCode.TIMEOUT, `${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
