import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { AgentUpdateCommand, AgentUpdateResultSchema, MessageInitShape } from "@phoenix/proto";
import type { CommandContext } from "./context";

/** How this agent replaces its own bundle and restarts into it. */
export interface SelfUpdate {
  /** The bundle file this agent runs from, e.g. /opt/phoenix/phoenix-agent.mjs. */
  bundlePath: string;
  /** The node binary that runs it. */
  node: string;
  /** Why nothing would start this agent again once it exits, when nothing would (no systemd). */
  unsupervised?: string;
  /** Exits into the bundle now in place, once the result has been sent. */
  restart(): void;
}

type Result = MessageInitShape<typeof AgentUpdateResultSchema>;

/** The version a bundle prints for --version, run by `node`. */
function bundleVersion(node: string, file: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(node, [file, "--version"], { timeout: 30_000, signal }, (err, stdout, stderr) => {
      if (err) {
        // Node prints the error, its stack, then its own version: the error line says why.
        const lines = String(stderr).split("\n");
        const why = lines.find((l) => /Error\b/.test(l))?.trim() || err.message;
        reject(new PhoenixError(ErrorCode.INVALID_ARGUMENT, `the new bundle does not run here: ${why}`));
      } else resolve(String(stdout).trim());
    });
  });
}

/**
 * Replaces the bundle this agent runs from with the one given: the digest is checked before
 * anything is written, the new file is written beside the old one and run with --version, and
 * only a bundle that says the expected version replaces it (one rename, so the path always holds a
 * whole bundle). A bundle equal to the running one changes nothing; one already in the file but not
 * running yet only restarts. The caller restarts the agent once the result is sent (`restarting`).
 */
export async function agentUpdate(
  cmd: AgentUpdateCommand,
  ctx: CommandContext,
  self: SelfUpdate | undefined,
  runningVersion: string,
): Promise<Result> {
  if (!self) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      "this agent does not run from a bundle file (phoenix-agent.mjs) it could replace",
    );
  }
  const digest = createHash("sha256").update(cmd.bundle).digest("hex");
  if (cmd.bundle.length === 0 || digest !== cmd.sha256.toLowerCase()) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `the bundle sent (${cmd.bundle.length} bytes) does not match its SHA-256 ${cmd.sha256 || "(none)"}`,
    );
  }
  const current = await readFile(self.bundlePath).catch(() => undefined);
  const inPlace = current !== undefined && createHash("sha256").update(current).digest("hex") === digest;
  if (inPlace && runningVersion === cmd.version) {
    return { fromVersion: runningVersion, toVersion: cmd.version, path: self.bundlePath, restarting: false };
  }
  if (self.unsupervised) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `${self.unsupervised}: it could not start again after replacing its bundle; update it with the install script`,
    );
  }
  if (inPlace) {
    // The file holds the new bundle already (put there by hand, or by an install that did not
    // restart the agent), but this process still runs the old one: restart into it.
    ctx.log.info(
      { from: runningVersion, to: cmd.version, path: self.bundlePath },
      "bundle in place; restarting",
    );
    return { fromVersion: runningVersion, toVersion: cmd.version, path: self.bundlePath, restarting: true };
  }
  const dir = dirname(self.bundlePath);
  const stage = await mkdtemp(join(dir, ".phoenix-agent.update-")).catch((err: NodeJS.ErrnoException) => {
    throw new PhoenixError(ErrorCode.INVALID_CONFIG, `cannot write beside ${self.bundlePath} (${err.code})`);
  });
  try {
    // Under its own name: node runs an ES module bundle only from a .mjs file.
    const staged = join(stage, basename(self.bundlePath));
    await writeFile(staged, cmd.bundle, { mode: 0o644 });
    const version = await bundleVersion(self.node, staged, ctx.signal);
    if (version !== cmd.version) {
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `the new bundle says it is ${JSON.stringify(version)}, not ${cmd.version}: kept ${runningVersion}`,
      );
    }
    ctx.signal.throwIfAborted();
    await rename(staged, self.bundlePath);
    ctx.log.info({ from: runningVersion, to: version, path: self.bundlePath }, "bundle replaced; restarting");
    return { fromVersion: runningVersion, toVersion: version, path: self.bundlePath, restarting: true };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
