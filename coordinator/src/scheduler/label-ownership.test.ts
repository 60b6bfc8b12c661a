import { describe, expect, it } from "vitest";
import { labelChanges, OWNED_LABELS_KEY, ownedKeys, withOwnership } from "./label-ownership";

describe("label ownership", () => {
  it("records the keys outside phoenix. that Phoenix sets", () => {
    expect(withOwnership({ "phoenix.cpu.cores": "4", zone: "rack1", gpu: "true" })).toEqual({
      "phoenix.cpu.cores": "4",
      zone: "rack1",
      gpu: "true",
      [OWNED_LABELS_KEY]: "gpu,zone",
    });
    expect(withOwnership({ "phoenix.cpu.cores": "4" })).toEqual({ "phoenix.cpu.cores": "4" });
  });

  it("owns every phoenix. key and what the ownership label lists, nothing else", () => {
    expect(
      [...ownedKeys({ "phoenix.gpu.count": "1", gpu: "true", team: "ml", [OWNED_LABELS_KEY]: "gpu" })].sort(),
    ).toEqual(["gpu", "phoenix.gpu.count", OWNED_LABELS_KEY]);
  });

  it.each<[string, Record<string, string>, Record<string, string>, ReturnType<typeof labelChanges>]>([
    ["converged", { a: "1", [OWNED_LABELS_KEY]: "a" }, { a: "1", [OWNED_LABELS_KEY]: "a" }, undefined],
    ["a new label", { "phoenix.cpu.cores": "4" }, {}, { set: { "phoenix.cpu.cores": "4" }, remove: [] }],
    [
      "a changed value",
      { "phoenix.memory.gib": "32" },
      { "phoenix.memory.gib": "16" },
      { set: { "phoenix.memory.gib": "32" }, remove: [] },
    ],
    [
      "GPU gone: its phoenix. labels and the owned gpu label go",
      { "phoenix.cpu.cores": "8" },
      { "phoenix.cpu.cores": "8", "phoenix.gpu.present": "true", gpu: "true", [OWNED_LABELS_KEY]: "gpu" },
      { set: {}, remove: ["gpu", "phoenix.gpu.present", OWNED_LABELS_KEY] },
    ],
    [
      "someone else's labels stay, even ones Phoenix would also set",
      { "phoenix.cpu.cores": "8" },
      { "phoenix.cpu.cores": "8", gpu: "true", team: "ml" },
      undefined,
    ],
    [
      "a model label taken over from an operator becomes owned",
      { zone: "rack2", [OWNED_LABELS_KEY]: "zone" },
      { zone: "rack1" },
      { set: { zone: "rack2", [OWNED_LABELS_KEY]: "zone" }, remove: [] },
    ],
    [
      "a model label dropped from the model goes, the ownership list shrinks",
      { gpu: "true", [OWNED_LABELS_KEY]: "gpu" },
      { gpu: "true", zone: "rack1", [OWNED_LABELS_KEY]: "gpu,zone" },
      { set: { [OWNED_LABELS_KEY]: "gpu" }, remove: ["zone"] },
    ],
    [
      "prototype names are ordinary keys",
      { "phoenix.x": "1" },
      { constructor: "x", "phoenix.x": "1" },
      undefined,
    ],
  ])("%s", (_, desired, observed, expected) => {
    expect(labelChanges(desired, observed)).toEqual(expected);
  });
});
