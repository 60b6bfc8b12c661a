import { describe, expect, it } from "vitest";
import { median, percentile } from "./stats";

describe("percentile", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  it.each<[readonly number[], number, number]>([
    [hundred, 50, 50],
    [hundred, 99, 99],
    [hundred, 100, 100],
    [hundred, 0, 1],
    [[7], 99, 7],
    [[1, 2, 3, 1000], 50, 2],
    [[1, 2, 3, 1000], 99, 1000],
  ])("%#: p%d", (samples, p, want) => {
    expect(percentile(samples, p)).toBe(want);
  });
  it("is NaN without samples", () => expect(percentile([], 50)).toBeNaN());
});

describe("median", () => {
  it.each<[readonly number[], number]>([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[5], 5],
  ])("%j", (samples, want) => expect(median(samples)).toBe(want));
  it("is NaN without samples", () => expect(median([])).toBeNaN());
});
