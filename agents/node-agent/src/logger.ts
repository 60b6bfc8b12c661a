import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** Log levels accepted by the agent's configuration. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Creates the agent's logger: JSON lines to stderr (synchronous, no worker thread, so the idle agent
 * stays small). Fields that could hold a secret are censored as a second line of defence; the code
 * itself never passes a token to the logger.
 */
export function createLogger(level: LogLevel = "info", destination?: DestinationStream): Logger {
  return pino(
    {
      name: "phoenix-agent",
      level,
      base: { pid: process.pid },
      redact: {
        paths: [
          "enrollmentToken",
          "*.enrollmentToken",
          "token",
          "*.token",
          "joinToken",
          "*.joinToken",
          "specsJson",
          "*.specsJson",
        ],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
