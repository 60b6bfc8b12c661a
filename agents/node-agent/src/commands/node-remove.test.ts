import { describe, expect, it } from "vitest";
import { type RemovalDecision, removalDecision } from "./node-remove";

describe("removalDecision", () => {
  it.each<[string | undefined, boolean, boolean, RemovalDecision]>([
    ["down", false, false, "remove"],
    ["down", false, true, "remove"],
    ["ready", false, false, "refuse"],
    ["ready", false, true, "wait"],
    ["disconnected", false, false, "refuse"],
    ["unknown", false, true, "wait"],
    [undefined, false, false, "refuse"],
    ["ready", true, false, "remove"],
    ["disconnected", true, true, "remove"],
  ])("a %s node, force %s, may wait %s: %s", (state, force, mayWait, want) => {
    expect(removalDecision(state, { force, mayWait })).toBe(want);
  });
});
