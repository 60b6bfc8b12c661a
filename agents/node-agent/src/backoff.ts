/** Reconnect delays: capped exponential growth with full jitter. */
export interface Backoff {
  /** Milliseconds to wait before the next attempt; each call counts one attempt. */
  next(): number;
  /** Back to the first delay, after a successful connection. */
  reset(): void;
  /** Attempts counted since the last reset. */
  readonly attempts: number;
}

/** Options of createBackoff. */
export interface BackoffOptions {
  /** Cap of the first delay (default 250 ms). */
  initialMs?: number;
  /** Largest cap while the failures are few (default 5 s: a coordinator restart is over within seconds). */
  maxMs?: number;
  /** Failures in a row after which the outage counts as long (default 20, about a minute at 5 s). */
  longAfter?: number;
  /** Cap during a long outage (default 30 s): a large fleet then dials a down coordinator less often. */
  longMaxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Creates a backoff whose n-th delay is uniform in [0, min(max, initial * factor^n)) ("full jitter"),
 * so a fleet of agents does not reconnect in lockstep after a coordinator restart; after `longAfter`
 * failures in a row the cap becomes `longMaxMs`.
 */
export function createBackoff(opts: BackoffOptions = {}): Backoff {
  const initialMs = opts.initialMs ?? 250;
  const maxMs = opts.maxMs ?? 5_000;
  const longAfter = opts.longAfter ?? 20;
  const longMaxMs = opts.longMaxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const random = opts.random ?? Math.random;
  let attempts = 0;
  return {
    next() {
      const cap =
        attempts >= longAfter
          ? Math.max(maxMs, longMaxMs)
          : Math.min(maxMs, initialMs * factor ** Math.min(attempts, 64));
      attempts++;
      return Math.floor(random() * cap);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/** A slow retry delay in [base/2, base): for failures a quick retry cannot fix (a wrong token). */
export function slowDelay(baseMs: number, random: () => number = Math.random): number {
  return Math.floor(baseMs / 2 + (random() * baseMs) / 2);
}
