/**
 * Events waiting for NATS, oldest first, bounded: beyond the limit the oldest waiting
 * item is dropped and counted. The item being sent (taken with `take`) still counts
 * against the limit until it is `done` or `giveBack`-ed.
 */
export class PublishBuffer<T> {
  readonly limit: number;
  #items: T[] = [];
  #head = 0;
  #inFlight = false;
  #dropped = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`buffer limit must be ≥ 1, got ${limit}`);
    this.limit = limit;
  }

  /** Items waiting, including the one being sent. */
  get size(): number {
    return this.#items.length - this.#head + (this.#inFlight ? 1 : 0);
  }

  /** Items dropped because the bound was reached, since the start. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds an item; returns how many of the oldest waiting items were dropped to make room. */
  push(item: T): number {
    this.#items.push(item);
    // The item just added stays, even when the one in flight already fills the bound.
    return this.#trim(1);
  }

  /** Puts items (oldest first) before every waiting one; returns how many of the oldest the bound dropped. */
  prepend(items: readonly T[]): number {
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
    return this.#trim(0);
  }

  /** The oldest waiting item, now in flight; undefined when none waits or one is already in flight. */
  take(): T | undefined {
    if (this.#inFlight || this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head]!;
    this.#head++;
    this.#inFlight = true;
    this.#compact();
    return item;
  }

  /** The item in flight was delivered. */
  done(): void {
    this.#inFlight = false;
  }

  /** The item in flight is given up: counted as dropped. */
  discard(): void {
    this.#inFlight = false;
    this.#dropped++;
  }

  /** The item in flight was not delivered: it is again the oldest waiting. Returns how many were dropped. */
  giveBack(item: T): number {
    this.#inFlight = false;
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
    // With a limit of 1, a push while it was in flight leaves one too many.
    return this.#trim(0);
  }

  /** Drops the oldest waiting items (keeping at least `keep`) until the bound holds; returns how many. */
  #trim(keep: number): number {
    let dropped = 0;
    while (this.size > this.limit && this.#items.length - this.#head > keep) {
      this.#head++;
      dropped++;
    }
    this.#dropped += dropped;
    this.#compact();
    return dropped;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
