import { spawn } from "node:child_process";

/** How long a command gets after its timeout's SIGTERM before SIGKILL. */
const KILL_AFTER_MS = 5_000;
/** The most output kept per stream before the command is killed. */
const MAX_BUFFER = 100_000_000;

/** How to run a command. */
export interface RunCommandOptions {
  /** The command is killed (SIGTERM, then SIGKILL) when it runs longer. */
  timeoutMs: number;
  /** Time between the timeout's SIGTERM and SIGKILL. Default 5 s. */
  killAfterMs?: number;
  /** Bytes kept per stream; more kills the command. Default 100 MB. */
  maxBuffer?: number;
}

/** What a command did. Never thrown: a command that cannot run has a code instead of an exit status. */
export interface CommandResult {
  /** Exit status; undefined when the command did not start or a signal ended it. */
  exitCode?: number;
  /** Standard output as UTF-8, without its final newline. */
  stdout: string;
  /** Standard error as UTF-8, without its final newline. */
  stderr: string;
  /** The command outlived its timeout and was killed. */
  timedOut: boolean;
  /** Why it could not run or was stopped: ENOENT for a missing binary, ERR_CHILD_PROCESS_STDIO_MAXBUFFER. */
  code?: string;
}

const withoutFinalNewline = (s: string) => s.replace(/\r?\n$/, "");

/**
 * Runs a binary without a shell, stdin closed, and collects its output. Small on purpose: it is what the
 * resident agent uses for nvidia-smi and systemd-detect-virt.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  opts: RunCommandOptions,
): Promise<CommandResult> {
  const maxBuffer = opts.maxBuffer ?? MAX_BUFFER;
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[][] = [[], []];
    const size = [0, 0];
    let timedOut = false;
    let code: string | undefined;
    let forceKill: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill("SIGTERM");
      forceKill ??= setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs ?? KILL_AFTER_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    [child.stdout, child.stderr].forEach((stream, i) => {
      stream.on("data", (chunk: Buffer) => {
        if (size[i]! + chunk.length > maxBuffer) {
          code ??= "ERR_CHILD_PROCESS_STDIO_MAXBUFFER";
          out[i]!.push(chunk.subarray(0, maxBuffer - size[i]!));
          size[i] = maxBuffer;
          stop();
          return;
        }
        out[i]!.push(chunk);
        size[i]! += chunk.length;
      });
    });
    let done = false;
    const finish = (exitCode: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(forceKill);
      const [stdout, stderr] = out.map((chunks) =>
        withoutFinalNewline(Buffer.concat(chunks).toString("utf8")),
      );
      resolve({ exitCode: exitCode ?? undefined, stdout: stdout!, stderr: stderr!, timedOut, code });
    };
    child.on("error", (err: NodeJS.ErrnoException) => {
      code ??= err.code;
      // A command that never started: its "close" would carry an errno, not an exit status.
      if (child.pid === undefined) finish(null);
    });
    child.on("close", (exitCode) => finish(exitCode));
  });
}
