/** A queue a producer pushes into and one consumer iterates: turns callbacks into a stream. */
export interface AsyncChannel<T> extends AsyncIterable<T> {
  push(item: T): void;
  /** Ends the stream after what was pushed; with an error, the consumer throws it after those items. */
  close(err?: unknown): void;
  readonly closed: boolean;
}

/** Creates an unbounded channel (producers here are bounded by the work they report on). */
export function createChannel<T>(): AsyncChannel<T> {
  const items: T[] = [];
  let closed = false;
  let failure: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(item) {
      if (closed) return;
      items.push(item);
      signal();
    },
    close(err) {
      if (closed) return;
      closed = true;
      if (err !== undefined) failure = { err };
      signal();
    },
    get closed() {
      return closed;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift() as T;
          continue;
        }
        if (closed) {
          if (failure) throw failure.err;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
