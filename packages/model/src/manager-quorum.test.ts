import { describe, expect, it } from "vitest";
import { autoManagerCount, managerTarget, raftMajority } from "./manager-quorum";

describe("manager counts", () => {
  it.each([
    [0, 0],
    [1, 1],
    [2, 1],
    [3, 3],
    [6, 3],
    [7, 5],
    [1000, 5],
  ])("auto with %i eligible guests keeps %i managers", (eligible, managers) => {
    expect(autoManagerCount(eligible)).toBe(managers);
  });

  it.each([
    // policy, explicit managers, auto guests, target
    [3, 1, 4, 3],
    ["auto", 1, 0, 1],
    ["auto", 0, 4, 3],
    ["auto", 1, 6, 5],
    ["auto", 4, 1, 5], // four fixed managers: one auto guest makes it odd
    ["auto", 4, 0, 4], // even and nothing to add: the model check refuses this
    ["auto", 0, 0, 0],
  ] as const)("policy %s with %i managers and %i auto guests wants %i", (policy, explicit, auto, target) => {
    expect(managerTarget(policy, explicit, auto)).toBe(target);
  });

  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [5, 3],
  ])("%i managers need %i votes", (managers, votes) => {
    expect(raftMajority(managers)).toBe(votes);
  });
});
