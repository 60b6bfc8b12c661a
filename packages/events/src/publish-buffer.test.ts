import { describe, expect, it } from "vitest";
import { PublishBuffer } from "./publish-buffer";

function drain<T>(b: PublishBuffer<T>): T[] {
  const out: T[] = [];
  for (let x = b.take(); x !== undefined; x = b.take()) {
    out.push(x);
    b.done();
  }
  return out;
}

describe("PublishBuffer", () => {
  it("keeps order and drops the oldest beyond the limit", () => {
    const b = new PublishBuffer<number>(3);
    const dropped = [1, 2, 3, 4, 5].map((n) => b.push(n));
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect([b.size, b.dropped]).toEqual([3, 2]);
    expect(drain(b)).toEqual([3, 4, 5]);
    expect(b.size).toBe(0);
  });

  it("never drops the item in flight, and gives it back as the oldest", () => {
    const b = new PublishBuffer<number>(3);
    for (const n of [1, 2, 3]) b.push(n);
    expect(b.take()).toBe(1);
    expect(b.take()).toBeUndefined(); // one at a time
    expect(b.push(4)).toBe(1); // 2 goes, 1 is in flight
    expect(b.size).toBe(3);
    expect(b.giveBack(1)).toBe(0);
    expect(drain(b)).toEqual([1, 3, 4]);
    expect(b.dropped).toBe(1);
  });

  it("with a limit of 1 keeps the newest once the one in flight fails", () => {
    const b = new PublishBuffer<string>(1);
    b.push("a");
    expect(b.take()).toBe("a");
    expect(b.push("b")).toBe(0);
    expect(b.giveBack("a")).toBe(1);
    expect(drain(b)).toEqual(["b"]);
    expect(b.dropped).toBe(1);
  });

  it("puts items before the waiting ones, dropping the oldest beyond the limit", () => {
    const b = new PublishBuffer<number>(4);
    for (const n of [5, 6]) b.push(n);
    expect(b.prepend([1, 2, 3, 4])).toBe(2);
    expect([b.size, b.dropped]).toEqual([4, 2]);
    expect(drain(b)).toEqual([3, 4, 5, 6]);
  });

  it("counts an item in flight that is given up as dropped", () => {
    const b = new PublishBuffer<number>(5);
    for (const n of [1, 2]) b.push(n);
    expect(b.take()).toBe(1);
    b.discard();
    expect([b.size, b.dropped]).toEqual([1, 1]);
    expect(drain(b)).toEqual([2]);
  });

  it("stays correct over many items (internal compaction)", () => {
    const b = new PublishBuffer<number>(5000);
    for (let i = 0; i < 20_000; i++) b.push(i);
    for (let i = 0; i < 3000; i++) {
      expect(b.take()).toBe(15_000 + i);
      b.done();
    }
    for (let i = 20_000; i < 25_000; i++) b.push(i);
    expect(b.dropped).toBe(15_000 + 2000);
    const rest = drain(b);
    expect(rest[0]).toBe(20_000);
    expect(rest.at(-1)).toBe(24_999);
    expect(rest).toHaveLength(5000);
  });

  it.each([0, -1, 1.5])("refuses a limit of %s", (n) => {
    expect(() => new PublishBuffer(n)).toThrow(RangeError);
  });
});
