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
  /**
   * Ids of the steps each step needs done first, by index (see the plan view's stepDependencies);
   * only earlier steps count. Without it every step waits for the one before it.
   */
  dependsOn?: readonly (readonly string[])[];
  /** Most steps running at once (default 1). */
  concurrency?: number;
}

type Push = (update: StepUpdateInit) => void;

/** Runs one step (tried again once when the retry policy says so); resolves with its failure, if any. */
async function runOne<S extends { id: string }>(
  step: S,
  run: RunStep<S>,
  opts: ExecuteOptions<S>,
  push: Push,
): Promise<PhoenixError | undefined> {
  const started = Date.now();
  push({ stepId: step.id, status: StepStatus.STARTED });
  let failure: PhoenixError | undefined;
  let outcome: string | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    if (opts.signal?.aborted) {
      failure = new PhoenixError(ErrorCode.CANCELLED, "the sync was cancelled");
      break;
    }
    // Progress of an attempt that has ended is dropped: it would land after the step's outcome.
    let live = true;
    const ctx: StepContext = {
      attempt,
      progress: (message) => {
        if (live) push({ stepId: step.id, status: StepStatus.STARTED, message });
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    try {
      outcome = await run(step, ctx);
      failure = undefined;
      break;
    } catch (err) {
      failure = PhoenixError.from(err);
    } finally {
      live = false;
    }
    if (attempt === 1 && opts.retry && !opts.signal?.aborted) {
      const again = await opts.retry(step, failure, opts.signal).catch(() => false);
      if (again) {
        push({ stepId: step.id, status: StepStatus.STARTED, message: `retrying: ${failure.message}` });
        continue;
      }
    }
    break;
  }
  const durationMs = Date.now() - started;
  if (failure) {
    push({
      stepId: step.id,
      status: StepStatus.FAILED,
      message: failure.describe(),
      error: toErrorInfo(failure),
      durationMs,
    });
    return failure;
  }
  push({ stepId: step.id, status: StepStatus.DONE, ...(outcome ? { message: outcome } : {}), durationMs });
  return undefined;
}

/** Indexes of the earlier steps each step waits for. */
function prerequisites(
  steps: readonly { id: string }[],
  dependsOn?: readonly (readonly string[])[],
): number[][] {
  if (!dependsOn) return steps.map((_, i) => (i > 0 ? [i - 1] : []));
  const index = new Map(steps.map((s, i) => [s.id, i]));
  return steps.map((_, i) => {
    const earlier = new Set<number>();
    for (const id of dependsOn[i] ?? []) {
      const j = index.get(id);
      if (j !== undefined && j < i) earlier.add(j);
    }
    return [...earlier];
  });
}

/**
 * Runs steps as soon as the steps they depend on are done, at most `concurrency` at a time, the
 * earliest ready step first. Each step streams STARTED, its progress lines and DONE or FAILED;
 * updates of steps running side by side interleave. After the first failure (or a cancel) no step
 * starts; those running finish, and every step not run is reported SKIPPED, in plan order.
 * Returns the summary when the generator finishes.
 */
export async function* executeSteps<S extends { id: string }>(
  steps: readonly S[],
  run: RunStep<S>,
  opts: ExecuteOptions<S> = {},
): AsyncGenerator<StepUpdateInit, ExecutionSummary> {
  const limit = Math.max(1, Math.floor(opts.concurrency ?? 1));
  const needs = prerequisites(steps, opts.dependsOn);
  const waitingOn = needs.map((n) => n.length);
  const dependents: number[][] = steps.map(() => []);
  needs.forEach((n, i) => {
    for (const j of n) dependents[j]!.push(i);
  });
  const ready = waitingOn.flatMap((n, i) => (n === 0 ? [i] : []));
  const started = new Set<number>();
  const updates = createChannel<StepUpdateInit>();
  let running = 0;
  let done = 0;
  let first: { error: PhoenixError; step?: string } | undefined;

  const finish = () => {
    const why = first?.step ? `not run: ${first.step} failed` : "not run: the sync was cancelled";
    steps.forEach((s, i) => {
      if (!started.has(i)) updates.push({ stepId: s.id, status: StepStatus.SKIPPED, message: why });
    });
    updates.close();
  };

  const pump = () => {
    if (!first && opts.signal?.aborted)
      first = { error: new PhoenixError(ErrorCode.CANCELLED, "the sync was cancelled") };
    while (!first && running < limit && ready.length > 0) {
      const i = ready.shift()!;
      const step = steps[i]!;
      started.add(i);
      running++;
      void runOne(step, run, opts, updates.push)
        .catch((err: unknown) => PhoenixError.from(err))
        .then((failure) => {
          running--;
          if (failure) first ??= { error: failure, step: step.id };
          else {
            done++;
            for (const k of dependents[i]!) {
              waitingOn[k]!--;
              if (waitingOn[k] === 0) insertSorted(ready, k);
            }
          }
          pump();
        });
    }
    if (running === 0) finish();
  };

  pump();
  yield* updates;
  if (first) {
    return {
      ok: false,
      stepsDone: done,
      stepsTotal: steps.length,
      error: first.error,
      ...(first.step ? { failedStep: first.step } : {}),
    };
  }
  return { ok: true, stepsDone: done, stepsTotal: steps.length };
}

/** Inserts n into an ascending list of numbers, keeping it ascending. */
function insertSorted(list: number[], n: number): void {
  let at = list.length;
  while (at > 0 && list[at - 1]! > n) at--;
  list.splice(at, 0, n);
}
