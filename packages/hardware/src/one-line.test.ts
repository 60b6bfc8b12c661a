import { describe, expect, it } from "vitest";
import { oneLine } from "./one-line";

describe("oneLine", () => {
  it.each([
    ["a\nb\n", "a; b"],
    ["first.\n\n  second  \n", "first. second"],
    ["tabs\tand   spaces", "tabs and spaces"],
    ["", ""],
  ])("%j → %j", (text, line) => {
    expect(oneLine(text)).toBe(line);
  });

  it("cuts very long output", () => {
    const line = oneLine("x".repeat(1000), 50);
    expect(line).toHaveLength(50);
    expect(line.endsWith("…")).toBe(true);
  });
});
