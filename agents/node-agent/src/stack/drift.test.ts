import { describe, expect, it } from "vitest";
import { driftedFields } from "./drift";

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
