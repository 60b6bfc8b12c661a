import { fileURLToPath } from "node:url";
import { loadModel } from "@phoenix/model";
import { describe, expect, it } from "vitest";
import { legacyEnvironmentSource } from "./convergence";

const EXAMPLE = fileURLToPath(new URL("../../deploy/examples/model", import.meta.url));

describe("legacyEnvironmentSource", () => {
  it.each([
    ["qdrant_service", "test", "model"],
    ["traefik", "production", "model"],
    ["traefik", "dev1", "deploy"],
    ["gone", "dev1", "deploy"],
  ])("an older state's %s in %s is %s's", async (stack, env, source) => {
    const r = await loadModel(EXAMPLE);
    if (!r.ok) throw new Error(r.errors.map((e) => e.describe()).join("\n"));
    expect(legacyEnvironmentSource(r.model)({ stack, env })).toBe(source);
  });

  it("keeps every one when the model does not validate", () => {
    expect(legacyEnvironmentSource(undefined)({ stack: "qdrant_service", env: "test" })).toBe("deploy");
  });
});
