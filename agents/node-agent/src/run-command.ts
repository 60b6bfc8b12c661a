import { startAgent } from "./agent";
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

  const agent = await startAgent(cfg, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    agent.stop().finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
