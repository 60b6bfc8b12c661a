import type { Event } from "@phoenix/proto";
import { timestampMs } from "@phoenix/proto";

/** The newest events in seq order, bounded, for replay and for following watchers. */
export class EventHistory {
  readonly limit: number;
  #events: Event[] = [];

  constructor(limit: number, initial: readonly Event[] = []) {
    this.limit = limit;
    this.#events = initial.slice(-limit);
  }

  /** Adds the newest event; the oldest goes when the bound is reached. */
  push(ev: Event): void {
    this.#events.push(ev);
    if (this.#events.length > this.limit) this.#events.shift();
  }

  /** Events kept, oldest first. */
  all(): readonly Event[] {
    return this.#events;
  }

  /** The seq of the oldest event kept (undefined when empty). */
  oldestSeq(): bigint | undefined {
    return this.#events[0]?.seq;
  }

  /** Events with seq > seq, oldest first. */
  after(seq: bigint): Event[] {
    const evs = this.#events;
    let lo = 0;
    let hi = evs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (evs[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return evs.slice(lo);
  }

  /** Events whose time is at or after the given time, oldest first. */
  since(time: Date): Event[] {
    const at = time.getTime();
    return this.#events.filter((ev) => ev.time !== undefined && timestampMs(ev.time) >= at);
  }
}

/** True when the event's type starts with one of the prefixes (no prefixes: every event). */
export function matchesTypes(ev: Event, types: readonly string[] | undefined): boolean {
  if (!types || types.length === 0) return true;
  return types.some((t) => ev.type.startsWith(t));
}
