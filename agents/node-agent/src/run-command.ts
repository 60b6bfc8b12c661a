import { isAbsolute, resolve } from "node:path";
import { startAgent } from "./agent";
import type { SelfUpdate } from "./commands/agent-update";
import type { AgentConfig } from "./config";
import { createLogger } from "./logger";
import { keepYoungGenerationSmall } from "./memory";
import { redact } from "./redact";

/**
 * `phoenix-agent run`: starts the agent and keeps it up until SIGTERM/SIGINT. Whatever escapes
 * (an uncaught exception, an unhandled rejection) is logged and the agent goes on: it must not
 * die on an odd error, since systemd restarting it would only drop the session.
 */
export async function runForever(cfg: AgentConfig): Promise<void> {
  keepYoungGenerationSmall();
  const log = createLogger(cfg.logLevel);
  const secrets = [cfg.enrollmentToken];
  const describe = (err: unknown) =>
    redact(err instanceof Error ? (err.stack ?? err.message) : String(err), secrets);
  process.on("uncaughtException", (err) =>
    log.error({ err: describe(err) }, "uncaught exception (agent continues)"),
  );
  process.on("unhandledRejection", (err) =>
    log.error({ err: describe(err) }, "unhandled rejection (agent continues)"),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    agent.stop().finally(() => process.exit(0));
  };
  const agent = await startAgent(
    cfg,
    log,
    selfUpdate(process.argv[1], process.env, () => stop("update")),
  );
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/**
 * How this process updates itself: it runs from a bundle file (`phoenix-agent.mjs`, not the sources)
 * and, to come back after exiting, needs a supervisor that restarts it: systemd's unit
 * (Restart=always) sets INVOCATION_ID for the processes it starts.
 */
export function selfUpdate(
  script: string | undefined,
  env: Record<string, string | undefined>,
  restart: () => void,
): SelfUpdate | undefined {
  if (!script?.endsWith(".mjs")) return undefined;
  return {
    bundlePath: isAbsolute(script) ? script : resolve(script),
    node: process.execPath,
    ...(env.INVOCATION_ID
      ? {}
      : { unsupervised: "this agent was not started by systemd (no INVOCATION_ID)" }),
    restart,
  };
}
