import { describe, expect, it } from "vitest";
import { formatGoFloat, parseGoDuration, parseNanoCpus, parseRamInBytes } from "./go-units";

describe("parseGoDuration", () => {
  it.each([
    ["0", 0],
    ["10s", 10e9],
    ["1m30s", 90e9],
    ["1.5s", 1.5e9],
    ["300ms", 300e6],
    ["2us", 2000],
    ["2\u00b5s", 2000],
    ["1h", 3600e9],
    ["-1s", -1e9],
    ["1h2m3.5s", 3723.5e9],
    ["5ns", 5],
  ])("%s → %d ns", (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each(["", "1", "10", "s", "1x", "1.s.", "1d"])("rejects %j", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe("parseRamInBytes", () => {
  it.each([
    ["100", 100],
    ["50M", 50 * 1024 ** 2],
    ["20m", 20 * 1024 ** 2],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["1024MB", 1024 ** 3],
    ["512 k", 512 * 1024],
    ["1b", 1],
    ["2T", 2 * 1024 ** 4],
  ])("%s → %d", (text, bytes) => {
    expect(parseRamInBytes(text)).toBe(bytes);
  });

  it.each(["", "M", "1x", "1MiBs", "-1M", "1bb"])("rejects %j", (text) => {
    expect(parseRamInBytes(text)).toBeUndefined();
  });
});

describe("parseNanoCpus", () => {
  it.each([
    ["0.5", 500_000_000],
    ["0.50", 500_000_000],
    ["2", 2_000_000_000],
    ["0.001", 1_000_000],
    ["1/4", 250_000_000],
    ["1e-3", 1_000_000],
  ])("%s → %d", (text, nano) => {
    expect(parseNanoCpus(text)).toBe(nano);
  });

  it.each([
    ["0.0000000001", "value is too precise"],
    ["abc", "failed to parse abc as a rational number"],
  ])("rejects %s", (text, error) => {
    expect(parseNanoCpus(text)).toEqual({ error });
  });
});

describe("formatGoFloat", () => {
  it.each([
    [1, "1"],
    [1.5, "1.5"],
    [1e6, "1e+06"],
    [123456, "123456"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1.2345678e21, "1.2345678e+21"],
  ])("%d → %s", (v, text) => {
    expect(formatGoFloat(v)).toBe(text);
  });
});
