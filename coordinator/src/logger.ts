import pino from "pino";

/** The coordinator's logger type (pino, JSON lines). */
export type Logger = pino.Logger;

/** Keys whose values are replaced before a line is written, wherever they occur. */
const REDACT = [
  "token",
  "*.token",
  "enrollmentToken",
  "*.enrollmentToken",
  "joinToken",
  "*.joinToken",
  "authorization",
  "*.authorization",
  "specsJson",
  "*.specsJson",
];

/** JSON logs to stderr (or to the given stream, for tests that read them). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { name: "phoenix-coordinator" },
    redact: { paths: REDACT, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}
