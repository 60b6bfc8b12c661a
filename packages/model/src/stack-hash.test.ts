import { describe, expect, it } from "vitest";
import type { Stack } from "./model-types";
import { stackSourceHash } from "./stack-hash";

function stack(over: Partial<Stack> = {}): Stack {
  return {
    name: "web",
    dir: "stacks/web",
    environments: {
      dev1: { variables: { TAG: "1" }, services: {} },
      production: { variables: { TAG: "2" }, services: {} },
    },
    compose: {
      file: "stacks/web/docker-compose.yml",
      text: "services: {web: {image: x}}",
      document: {},
      services: ["web"],
    },
    files: {
      "stacks/web/docker-compose.yml": "services: {web: {image: x}}",
      "stacks/web/phoenix.json": '{"environments": {}}',
      "stacks/web/nginx.conf": "server {}",
    },
    ...over,
  };
}

describe("stackSourceHash", () => {
  const base = stackSourceHash(stack(), "dev1");

  it("is stable for the same inputs", () => {
    expect(stackSourceHash(stack(), "dev1")).toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, string]>([
    ["another environment", stackSourceHash(stack(), "production")],
    [
      "a changed config file",
      stackSourceHash(
        stack({ files: { ...stack().files, "stacks/web/nginx.conf": "server { listen 81; }" } }),
        "dev1",
      ),
    ],
    [
      "a changed variable",
      stackSourceHash(
        stack({ environments: { ...stack().environments, dev1: { variables: { TAG: "3" }, services: {} } } }),
        "dev1",
      ),
    ],
    [
      "an extra input (pin constraint)",
      stackSourceHash(stack(), "dev1", "node.labels.phoenix.stack.web == true"),
    ],
  ])("changes with %s", (_, other) => {
    expect(other).not.toBe(base);
  });

  it.each<[string, Stack]>([
    [
      "another environment's settings",
      stack({
        environments: { ...stack().environments, production: { variables: { TAG: "9" }, services: {} } },
      }),
    ],
    [
      "phoenix.json text alone (description, formatting)",
      stack({
        files: { ...stack().files, "stacks/web/phoenix.json": '{ "description": "x", "environments": {} }' },
      }),
    ],
  ])("ignores %s", (_, changed) => {
    expect(stackSourceHash(changed, "dev1")).toBe(base);
  });
});
