import { pino } from "pino";

/** Logger of the sandbox harness: JSON on stderr, level from PHOENIX_SANDBOX_LOG (default "warn"). */
export const log = pino(
  { name: "sandbox", level: process.env.PHOENIX_SANDBOX_LOG ?? "warn" },
  pino.destination(2),
);
