import { describe, expect, it } from "vitest";
import { changedOutside, driftedFields, specFingerprint } from "./drift";

const spec = (image: string, replicas?: number) => ({
  TaskTemplate: { ContainerSpec: { Image: image } },
  Mode: replicas === undefined ? { Global: {} } : { Replicated: { Replicas: replicas } },
});

describe("driftedFields", () => {
  it.each([
    ["nothing when Docker stored what was sent", spec("app:1", 2), spec("app:1", 2), []],
    [
      "the image after `docker service update --image`",
      spec("app:1@sha256:abc", 2),
      spec("app:1", 2),
      ["image"],
    ],
    ["the replicas after `docker service scale`", spec("app:1", 5), spec("app:1", 2), ["replicas"]],
    ["both", spec("app:2", 1), spec("app:1", 2), ["image", "replicas"]],
    ["no replicas for a global service", spec("app:1"), spec("app:1"), []],
  ])("%s", (_what, stored, desired, expected) => {
    expect(driftedFields(stored, desired)).toEqual(expected);
  });
});

describe("specFingerprint", () => {
  const stored = {
    Name: "dev1_app_web",
    Labels: { "com.docker.stack.namespace": "dev1_app" },
    TaskTemplate: { ContainerSpec: { Image: "app:1", Env: ["A=1"] }, ForceUpdate: 0 },
    Mode: { Replicated: { Replicas: 2 } },
  };
  const fp = specFingerprint(stored);

  it.each([
    [
      "the same spec with its keys in another order",
      { Mode: stored.Mode, TaskTemplate: stored.TaskTemplate, Labels: stored.Labels, Name: stored.Name },
      true,
    ],
    [
      "after `docker service update --force` (the counter only)",
      { ...stored, TaskTemplate: { ...stored.TaskTemplate, ForceUpdate: 3 } },
      true,
    ],
    [
      "after `docker service update --env-add`",
      {
        ...stored,
        TaskTemplate: { ...stored.TaskTemplate, ContainerSpec: { Image: "app:1", Env: ["A=1", "B=2"] } },
      },
      false,
    ],
    ["after a label changed", { ...stored, Labels: { ...stored.Labels, extra: "x" } }, false],
  ])("%s: same fingerprint %s", (_what, spec, same) => {
    expect(specFingerprint(spec) === fp).toBe(same);
    expect(changedOutside(spec, fp)).toBe(!same);
  });

  it("is 32 hex digits, and nothing is compared without a recorded one", () => {
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    expect(changedOutside(stored, undefined)).toBe(false);
    expect(changedOutside(stored, "")).toBe(false);
  });
});
