import type { MessageInitShape } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { StepStatus, type StepUpdateSchema, toErrorInfo } from "@phoenix/proto";
import { createChannel } from "./async-channel";

/** A step update as the sync stream carries it. */
export type StepUpdateInit = MessageInitShape<typeof StepUpdateSchema>;

/** What a running step can use. */
export interface StepContext {
  signal?: AbortSignal;
  /** A progress line for the caller (shown under the step). */
  progress(message: string): void;
  /** 1 on the first try, 2 on the retry after its agent came back. */
  attempt: number;
}

/** Runs one step; resolves with a short outcome line, rejects with a PhoenixError. */
export type RunStep<S> = (step: S, ctx: StepContext) => Promise<string | undefined>;

/** Decides whether a failed step is tried again (once), after waiting for what it needs. */
export type RetryStep<S> = (step: S, err: PhoenixError, signal?: AbortSignal) => Promise<boolean>;

/** Outcome of a whole run. */
export interface ExecutionSummary {
  ok: boolean;
  stepsDone: number;
  stepsTotal: number;
  error?: PhoenixError;
  /** Id of the failed step. */
  failedStep?: string;
}

/** Options of executeSteps. */
export interface ExecuteOptions<S> {
  signal?: AbortSignal;
  retry?: RetryStep<S>;
}

/**
 * Runs steps in order, streaming STARTED, progress, DONE / FAILED updates; stops at the first
 * failure and reports the rest as SKIPPED. Returns the summary when the generator finishes.
 */
export async function* executeSteps<S extends { id: string }>(
  steps: readonly S[],
  run: RunStep<S>,
  opts: ExecuteOptions<S> = {},
): AsyncGenerator<StepUpdateInit, ExecutionSummary> {
  let done = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const started = Date.now();
    yield { stepId: step.id, status: StepStatus.STARTED };
    let failure: PhoenixError | undefined;
    let outcome: string | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (opts.signal?.aborted) {
        failure = new PhoenixError(ErrorCode.CANCELLED, "the sync was cancelled");
        break;
      }
      const updates = createChannel<StepUpdateInit>();
      const ctx: StepContext = {
        attempt,
        progress: (message) => updates.push({ stepId: step.id, status: StepStatus.STARTED, message }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      };
      let result: { ok: true; value: string | undefined } | { ok: false; err: PhoenixError } | undefined;
      run(step, ctx).then(
        (value) => {
          result = { ok: true, value };
          updates.close();
        },
        (err) => {
          result = { ok: false, err: PhoenixError.from(err) };
          updates.close();
        },
      );
      yield* updates;
      const r = result!;
      if (r.ok) {
        outcome = r.value;
        failure = undefined;
        break;
      }
      failure = r.err;
      if (attempt === 1 && opts.retry && !opts.signal?.aborted) {
        const again = await opts.retry(step, failure, opts.signal).catch(() => false);
        if (again) {
          yield { stepId: step.id, status: StepStatus.STARTED, message: `retrying: ${failure.message}` };
          continue;
        }
      }
      break;
    }
    const durationMs = Date.now() - started;
    if (failure) {
      yield {
        stepId: step.id,
        status: StepStatus.FAILED,
        message: failure.describe(),
        error: toErrorInfo(failure),
        durationMs,
      };
      for (const rest of steps.slice(i + 1)) {
        yield { stepId: rest.id, status: StepStatus.SKIPPED, message: `not run: ${step.id} failed` };
      }
      return { ok: false, stepsDone: done, stepsTotal: steps.length, error: failure, failedStep: step.id };
    }
    done++;
    yield { stepId: step.id, status: StepStatus.DONE, ...(outcome ? { message: outcome } : {}), durationMs };
  }
  return { ok: true, stepsDone: done, stepsTotal: steps.length };
}
