import { describe, expect, it } from "vitest";
import { createBackoff, slowDelay } from "./backoff";

describe("createBackoff", () => {
  it.each([
    // random = 0.999…: each delay is just under its cap.
    [{}, [249, 499, 999, 1999, 3999, 4999, 4999]],
    [{ longAfter: 3 }, [249, 499, 999, 29997, 29997]],
    [{ initialMs: 100, maxMs: 1000, factor: 3 }, [99, 299, 899, 999, 999]],
  ])("caps grow exponentially up to the maximum %j", (opts, expected) => {
    const b = createBackoff({ ...opts, random: () => 0.9999 });
    expect(expected.map(() => b.next())).toEqual(expected);
  });

  it("draws from the whole range below the cap (full jitter)", () => {
    const draws = [0, 0.5, 0.25];
    const b = createBackoff({ random: () => draws.shift()! });
    expect([b.next(), b.next(), b.next()]).toEqual([0, 250, 250]);
  });

  it("reset starts over from the first cap", () => {
    const b = createBackoff({ random: () => 0.9999 });
    for (let i = 0; i < 10; i++) b.next();
    expect(b.attempts).toBe(10);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(249);
  });

  it("never exceeds the maximum after many attempts", () => {
    const b = createBackoff({ random: () => 0.9999 });
    for (let i = 0; i < 1000; i++) expect(b.next()).toBeLessThan(i < 20 ? 5_000 : 30_000);
  });
});

describe("slowDelay", () => {
  it.each([
    [0, 15_000],
    [0.5, 22_500],
    [0.9999, 29_998],
  ])("random %f gives %i ms for a 30 s base", (r, ms) => {
    expect(slowDelay(30_000, () => r)).toBe(ms);
  });
});
