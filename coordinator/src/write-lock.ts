/** One writer at a time: syncs, deploys and automatic reconciles queue here in arrival order. */
export interface WriteLock {
  /** Runs fn when every earlier holder is done; its result or error passes through. */
  run<T>(what: string, fn: () => Promise<T>): Promise<T>;
  /** What holds the lock now, if anything. */
  readonly holder: string | undefined;
  /** Holders waiting behind the current one. */
  readonly waiting: number;
}

/** Creates a FIFO write lock. */
export function createWriteLock(): WriteLock {
  let tail: Promise<unknown> = Promise.resolve();
  let holder: string | undefined;
  let waiting = 0;
  return {
    run<T>(what: string, fn: () => Promise<T>): Promise<T> {
      waiting++;
      const result = tail.then(async () => {
        waiting--;
        holder = what;
        try {
          return await fn();
        } finally {
          holder = undefined;
        }
      });
      tail = result.catch(() => {});
      return result;
    },
    get holder() {
      return holder;
    },
    get waiting() {
      return waiting;
    },
  };
}
