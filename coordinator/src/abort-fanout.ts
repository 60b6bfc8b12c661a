/**
 * Many callbacks on one AbortSignal through a single listener per signal. An API call's signal is
 * shared by every command the call sends (a fan-out of task listings, the steps of a sync); one
 * listener per command would pile up on it (Node warns past 10).
 */
export interface AbortFanout {
  /**
   * Calls `fn` once when `signal` aborts (soon, if it has already). Returns the function that forgets
   * `fn`; call it when the work settles, and the signal's listener goes with the last callback.
   */
  on(signal: AbortSignal, fn: () => void): () => void;
}

interface Entry {
  fns: Set<() => void>;
  listener: () => void;
}

/** Creates an abort fan-out; signals it no longer watches are left to the garbage collector. */
export function createAbortFanout(): AbortFanout {
  const bySignal = new WeakMap<AbortSignal, Entry>();
  return {
    on(signal, fn) {
      if (signal.aborted) {
        let forgotten = false;
        queueMicrotask(() => {
          if (!forgotten) fn();
        });
        return () => {
          forgotten = true;
        };
      }
      let entry = bySignal.get(signal);
      if (!entry) {
        const fns = new Set<() => void>();
        const listener = () => {
          bySignal.delete(signal);
          // A callback may forget another one that has not run yet: the live set skips it.
          for (const f of fns) {
            fns.delete(f);
            f();
          }
        };
        entry = { fns, listener };
        bySignal.set(signal, entry);
        signal.addEventListener("abort", listener, { once: true });
      }
      const e = entry;
      e.fns.add(fn);
      return () => {
        if (!e.fns.delete(fn) || e.fns.size > 0 || bySignal.get(signal) !== e) return;
        bySignal.delete(signal);
        signal.removeEventListener("abort", e.listener);
      };
    },
  };
}
