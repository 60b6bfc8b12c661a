import type { Logger } from "./logger";

/** Collects guests that changed and reconciles them in batches, one batch at a time. */
export interface Reconciler {
  /** A guest registered or its inventory or swarm membership changed. */
  touch(guest: string, reason: string): void;
  /** Resolves when nothing is queued or running (tests and shutdown). */
  idle(): Promise<void>;
  /** Stops taking work; a running batch finishes. */
  close(): Promise<void>;
}

/** Options of the reconciler. */
export interface ReconcilerOptions {
  /** Quiet time after the last touch before a batch runs (0: next tick). */
  debounceMs: number;
  /** Longest a touched guest waits while touches keep coming (default 10 debounces, at least 1 s). */
  maxWaitMs?: number;
  /** Reconciles a batch of guests; it serializes itself with syncs (the write lock). */
  run(guests: string[], reason: string): Promise<void>;
  logger: Logger;
}

/**
 * Debounces per-guest triggers (agent Hello, inventory change, swarm membership change) into
 * batches: an agent that boots is joined and labelled right after its Hello, and a burst of
 * registrations costs one observation of the swarm instead of one per agent.
 */
export function createReconciler(o: ReconcilerOptions): Reconciler {
  const maxWaitMs = o.maxWaitMs ?? Math.max(1_000, o.debounceMs * 10);
  const queued = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let firstTouch = 0;
  let running: Promise<void> | undefined;
  let closed = false;
  const idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (running || queued.size > 0) return;
    for (const w of idleWaiters.splice(0)) w();
  };

  const schedule = () => {
    if (closed || running || queued.size === 0) return settleIdle();
    clearTimeout(timer);
    const wait = Math.max(0, Math.min(o.debounceMs, firstTouch + maxWaitMs - Date.now()));
    timer = setTimeout(fire, wait);
    timer.unref();
  };

  const fire = () => {
    timer = undefined;
    if (closed || running || queued.size === 0) return settleIdle();
    const guests = [...queued.keys()];
    const reasons = [...new Set(queued.values())];
    queued.clear();
    firstTouch = 0;
    running = o
      .run(guests, reasons.join(", "))
      .catch((err) => o.logger.warn({ guests, err: (err as Error).message }, "automatic reconcile failed"))
      .finally(() => {
        running = undefined;
        if (queued.size > 0) firstTouch = Date.now();
        schedule();
      });
  };

  return {
    touch(guest, reason) {
      if (closed || !guest) return;
      if (queued.size === 0) firstTouch = Date.now();
      queued.set(guest, reason);
      schedule();
    },
    idle() {
      if (!running && queued.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      queued.clear();
      await running;
      settleIdle();
    },
  };
}
