import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { type CoordinatorConfig, loadConfig } from "./config";
import type { Coordinator } from "./coordinator";
import { createLogger, type Logger } from "./logger";

/** How the process is started: argument list, environment, where the bundled assets are, how it starts. */
export interface CliOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  assets: { agentBundle: string; installScript: string };
  start: (config: CoordinatorConfig, logger: Logger) => Promise<Coordinator>;
  /** Where one-line messages for people go (default stderr). */
  print?: (line: string) => void;
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * phoenix-coordinator's main: a bad configuration is one line and exit 2; otherwise the coordinator
 * runs until SIGTERM/SIGINT, says Goodbye to its agents, and the promise resolves with the exit code.
 */
export async function runCli(o: CliOptions): Promise<number> {
  const print = o.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  let config: CoordinatorConfig;
  try {
    const parsed = loadConfig(o.argv, o.env, o.assets);
    if (parsed.kind === "print") {
      process.stdout.write(`${parsed.text}\n`);
      return 0;
    }
    config = parsed.config;
  } catch (err) {
    const pe = PhoenixError.from(err);
    print(`phoenix-coordinator: ${pe.describe()}`);
    return pe.code === ErrorCode.INVALID_CONFIG ? 2 : 1;
  }
  const logger = createLogger(config.logLevel);
  let coordinator: Coordinator;
  try {
    coordinator = await o.start(config, logger);
  } catch (err) {
    const pe = PhoenixError.from(err);
    logger.fatal({ code: pe.code, error: pe.describe() }, "the coordinator could not start");
    print(`phoenix-coordinator: ${pe.describe()}`);
    return [ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_MODEL].includes(pe.code as "INVALID_CONFIG") ? 2 : 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting now");
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, "shutting down");
      coordinator.stop(`the coordinator is shutting down (${signal})`).then(
        () => {
          for (const s of SIGNALS) process.off(s, stop);
          logger.info("stopped");
          resolve(0);
        },
        (err) => {
          logger.error({ err: (err as Error).message }, "shutdown failed");
          resolve(1);
        },
      );
    };
    for (const s of SIGNALS) process.on(s, stop);
  });
}
