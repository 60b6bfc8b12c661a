import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { create, NodeAvailability, NodeRole, NodeUpdateCommandSchema } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import type { EngineNodeSpec } from "../engine-types";
import { nextNodeSpec, validateNodeUpdate } from "./node-update";

const spec: EngineNodeSpec = {
  Name: "",
  Labels: { zone: "rack1", "phoenix.gpu.present": "true" },
  Role: "worker",
  Availability: "active",
};
const cmd = (init: Parameters<typeof create<typeof NodeUpdateCommandSchema>>[1]) =>
  create(NodeUpdateCommandSchema, { nodeId: "n1", ...init });

describe("nextNodeSpec", () => {
  it.each([
    ["labels already set", { labelsAdd: { zone: "rack1" } }],
    ["removing an absent label", { labelsRemove: ["nope"] }],
    ["same role and availability", { role: NodeRole.WORKER, availability: NodeAvailability.ACTIVE }],
    ["nothing asked", {}],
  ])("writes nothing when %s", (_name, init) => {
    expect(nextNodeSpec(spec, cmd(init))).toBeUndefined();
  });

  it.each([
    ["adds a label", { labelsAdd: { gpu: "true" } }, { Labels: { ...spec.Labels, gpu: "true" } }],
    ["overwrites a label", { labelsAdd: { zone: "rack2" } }, { Labels: { ...spec.Labels, zone: "rack2" } }],
    ["removes a label", { labelsRemove: ["phoenix.gpu.present"] }, { Labels: { zone: "rack1" } }],
    ["promotes", { role: NodeRole.MANAGER }, { Role: "manager" }],
    ["drains", { availability: NodeAvailability.DRAIN }, { Availability: "drain" }],
    ["pauses", { availability: NodeAvailability.PAUSE }, { Availability: "pause" }],
  ])("%s, keeping the rest of the spec", (_name, init, changed) => {
    expect(nextNodeSpec(spec, cmd(init))).toEqual({ ...spec, ...changed });
  });

  it("treats a node without labels as having none", () => {
    expect(
      nextNodeSpec({ Role: "manager", Availability: "active" }, cmd({ labelsRemove: ["x"] })),
    ).toBeUndefined();
  });
});

describe("validateNodeUpdate", () => {
  it.each([
    ["no node id", { nodeId: "" }, "node_id is empty"],
    ["an empty label key", { labelsAdd: { " ": "x" } }, "a label key is empty"],
    [
      "a key added and removed",
      { labelsAdd: { a: "1" }, labelsRemove: ["a"] },
      "labels both added and removed: a",
    ],
  ])("refuses %s", (_name, init, message) => {
    const err = (() => {
      try {
        validateNodeUpdate(cmd(init));
      } catch (e) {
        return e as PhoenixError;
      }
    })();
    expect(err).toBeInstanceOf(PhoenixError);
    expect([err?.code, err?.message]).toEqual([ErrorCode.INVALID_ARGUMENT, message]);
  });
});
