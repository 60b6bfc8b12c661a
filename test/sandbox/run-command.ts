import { spawn } from "node:child_process";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { inheritedEnv } from "./inherited-env";

/** Outcome of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of `runCommand`. */
export interface RunOptions {
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Kill the command (SIGKILL) and fail after this long; default 60 s. */
  timeoutMs?: number;
  /** Fail on a non-zero exit (default true); with false the result carries the code. */
  reject?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion and collects its output; a failure names the command and its stderr. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const shown = [cmd, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? inheritedEnv() });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new PhoenixError(ErrorCode.INTERNAL, `cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const result = {
        code: code ?? 128,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      if (timedOut) {
        reject(new PhoenixError(ErrorCode.TIMEOUT, `${shown} did not finish within ${timeoutMs} ms`));
      } else if (result.code !== 0 && opts.reject !== false) {
        const why = (result.stderr.trim() || result.stdout.trim()).slice(-2000);
        reject(new PhoenixError(ErrorCode.INTERNAL, `${shown} exited with ${result.code}: ${why}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input);
  });
}
