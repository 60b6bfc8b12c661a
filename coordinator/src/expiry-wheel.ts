/**
 * A hashed timer wheel for many deadlines that are pushed back often (agent heartbeats).
 * `set` is O(1) and usually only writes a number; `advance` touches only the slots that came due,
 * re-filing entries whose deadline moved on since. One periodic tick serves every key, and a
 * deadline fires on the first `advance` at or after it.
 */
export interface ExpiryWheel<K> {
  /** Sets (or moves) the deadline of key to `at` (ms since the epoch). */
  set(key: K, at: number): void;
  /** Forgets key. */
  delete(key: K): void;
  /** The deadline of key, if it has one. */
  get(key: K): number | undefined;
  /** Moves the wheel to `now` and returns the keys whose deadline is at or before it, forgetting them. */
  advance(now: number): K[];
  /** Number of keys with a deadline. */
  readonly size: number;
}

interface Entry {
  at: number;
  slot: number;
}

/** Creates a wheel with slots of `tickMs` (deadlines fire at most one tick late). */
export function createExpiryWheel<K>(tickMs: number, now: number = Date.now()): ExpiryWheel<K> {
  const entries = new Map<K, Entry>();
  const slots = new Map<number, Set<K>>();
  // Slots up to the cursor are fully processed.
  let cursor = Math.floor(now / tickMs) - 1;
  const slotOf = (at: number) => Math.max(Math.floor(at / tickMs), cursor + 1);

  const file = (key: K, slot: number) => {
    let bucket = slots.get(slot);
    if (!bucket) {
      bucket = new Set();
      slots.set(slot, bucket);
    }
    bucket.add(key);
  };
  const unfile = (key: K, slot: number) => {
    const bucket = slots.get(slot);
    if (!bucket) return;
    bucket.delete(key);
    if (bucket.size === 0) slots.delete(slot);
  };

  return {
    set(key, at) {
      const slot = slotOf(at);
      const entry = entries.get(key);
      if (!entry) {
        entries.set(key, { at, slot });
        file(key, slot);
        return;
      }
      entry.at = at;
      // A later deadline stays in its earlier slot and is re-filed when that slot comes due.
      if (slot < entry.slot) {
        unfile(key, entry.slot);
        entry.slot = slot;
        file(key, slot);
      }
    },
    delete(key) {
      const entry = entries.get(key);
      if (!entry) return;
      entries.delete(key);
      unfile(key, entry.slot);
    },
    get(key) {
      return entries.get(key)?.at;
    },
    advance(now) {
      const target = Math.floor(now / tickMs);
      const due: K[] = [];
      if (target < cursor) return due;
      // Walk the due slots; when the wheel slept long, walk the filled slots instead of every tick.
      const walk =
        target - cursor > slots.size
          ? [...slots.keys()].filter((s) => s <= target).sort((a, b) => a - b)
          : null;
      const visit = (slot: number) => {
        const bucket = slots.get(slot);
        if (!bucket) return;
        slots.delete(slot);
        for (const key of bucket) {
          const entry = entries.get(key)!;
          if (entry.at <= now) {
            entries.delete(key);
            due.push(key);
          } else {
            entry.slot = Math.max(Math.floor(entry.at / tickMs), target);
            file(key, entry.slot);
          }
        }
      };
      if (walk) for (const slot of walk) visit(slot);
      else for (let slot = cursor + 1; slot <= target; slot++) visit(slot);
      // The current slot is only partly past: keep it open for the next advance.
      cursor = target - 1;
      return due;
    },
    get size() {
      return entries.size;
    },
  };
}
