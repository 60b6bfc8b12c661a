import { type ErrorCode, type ErrorPlace, PhoenixError } from "@phoenix/errors";
import type { MessageInitShape, StackApplyResultSchema } from "@phoenix/proto";

/** What applyStack answers: the StackApplyResult message as plain data. */
export type StackApplyResultInit = MessageInitShape<typeof StackApplyResultSchema>;

/**
 * A stack deploy that failed (DEPLOY_FAILED, TIMEOUT, DOCKER...). Besides the usual code, place
 * and per-service details it carries the report of what the deploy did, `rolledBack` included,
 * for callers that show it.
 */
export class StackApplyError extends PhoenixError {
  /** What was done before and after the failure, rollback included. */
  readonly result: StackApplyResultInit;

  constructor(
    code: ErrorCode,
    message: string,
    opts: {
      place: ErrorPlace;
      result: StackApplyResultInit;
      details?: readonly PhoenixError[];
      cause?: unknown;
    },
  ) {
    super(code, message, opts);
    this.result = opts.result;
  }
}
