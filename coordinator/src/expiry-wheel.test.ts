import { describe, expect, it } from "vitest";
import { createExpiryWheel } from "./expiry-wheel";

describe("expiry wheel", () => {
  it("fires a deadline on the first advance at or after it, once", () => {
    const w = createExpiryWheel<string>(100, 0);
    w.set("a", 250);
    expect(w.advance(200)).toEqual([]);
    expect(w.advance(299)).toEqual(["a"]);
    expect(w.advance(1_000)).toEqual([]);
    expect(w.size).toBe(0);
  });

  it.each([
    [
      "pushed later",
      [300, 900],
      [
        [500, []],
        [1_000, ["k"]],
      ],
    ],
    [
      "pulled earlier",
      [900, 300],
      [
        [350, ["k"]],
        [1_000, []],
      ],
    ],
    ["set in the past fires next tick", [-50], [[100, ["k"]]]],
  ] as const)("a deadline %s", (_, sets, steps) => {
    const w = createExpiryWheel<string>(100, 0);
    for (const at of sets) w.set("k", at);
    for (const [now, want] of steps) expect(w.advance(now)).toEqual(want);
  });

  it("keeps pushed-back keys alive across many ticks (heartbeats)", () => {
    const w = createExpiryWheel<number>(50, 0);
    for (let i = 0; i < 1_000; i++) w.set(i, 1_000);
    for (let now = 100; now <= 10_000; now += 100) {
      for (let i = 0; i < 1_000; i++) if (i !== 7) w.set(i, now + 1_000);
      const due = w.advance(now);
      if (now < 1_000) expect(due).toEqual([]);
      if (now === 1_000) expect(due).toEqual([7]);
      if (now > 1_000) expect(due).toEqual([]);
    }
    expect(w.size).toBe(999);
  });

  it("delete forgets a key", () => {
    const w = createExpiryWheel<string>(100, 0);
    w.set("a", 150);
    w.set("b", 150);
    w.delete("a");
    expect(w.get("a")).toBeUndefined();
    expect(w.advance(500)).toEqual(["b"]);
  });

  it("a long sleep walks only the filled slots", () => {
    const w = createExpiryWheel<string>(1, 0);
    w.set("a", 10);
    w.set("b", 50_000_000_000);
    expect(w.advance(10_000_000_000)).toEqual(["a"]);
    expect(w.advance(60_000_000_000)).toEqual(["b"]);
  });
});
