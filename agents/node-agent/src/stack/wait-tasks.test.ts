import { describe, expect, it } from "vitest";
import { describeProgress } from "./wait-tasks";

describe("describeProgress", () => {
  it.each([
    [{ state: "running", running: 2, desired: 2, error: "" }, "service s: 2/2 running"],
    [{ state: "complete", running: 1, desired: 1, error: "" }, "service s: 1/1 complete"],
    [{ state: "pending", running: 0, desired: 1, error: "" }, "service s: 0/1 running"],
    [
      { state: "pending", running: 0, desired: 1, error: "no suitable node" },
      "service s: 0/1 running (no suitable node)",
    ],
    [
      { state: "failed", running: 0, desired: 1, error: "No such image: nope:latest" },
      "service s: 0/1 running, failed: No such image: nope:latest",
    ],
  ] as const)("%j → %s", (progress, line) => {
    expect(describeProgress("s", progress)).toBe(line);
  });
});
