import { type ErrorCode, type ErrorPlace, PhoenixError } from "@phoenix/errors";
import type { CommandResult } from "@phoenix/proto";

/**
 * An agent answered a command with an error. Besides the agent's code, message and place it keeps
 * the whole CommandResult, whose `result` may hold a partial report of what the command did (a
 * failed stack apply's per-service states, rollback and Docker writes).
 */
export class CommandFailedError extends PhoenixError {
  /** The agent's answer, error and partial result included. */
  readonly result: CommandResult;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { place: ErrorPlace; result: CommandResult; details?: readonly PhoenixError[]; cause?: unknown },
  ) {
    super(code, message, opts);
    this.result = opts.result;
  }
}

/** The partial result an agent sent with its error, when `err` is a failed command that has one. */
export function partialResultOf(err: unknown): CommandResult | undefined {
  return err instanceof CommandFailedError && err.result.result.case !== undefined ? err.result : undefined;
}
