import { fileURLToPath } from "node:url";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { environmentNetworkName, loadModel, type Model, stackPinConstraint } from "@phoenix/model";
import { beforeAll, describe, expect, it } from "vitest";
import { deploymentHash, pinConstraintOf, renderModelStack, stackSpecs, workKey } from "./fleet-actions";
import { desiredState } from "./scheduler";

const MODEL_DIR = fileURLToPath(new URL("../../deploy/examples/model", import.meta.url));
let model: Model;

beforeAll(async () => {
  const r = await loadModel(MODEL_DIR);
  if (!r.ok) throw r.errors[0];
  model = r.model;
});

const constraints = (specs: { TaskTemplate?: unknown }[]) =>
  specs.map(
    (s) => (s.TaskTemplate as { Placement?: { Constraints?: string[] } }).Placement?.Constraints ?? [],
  );

describe("stack rendering for a deploy", () => {
  it("pins a stack some guest lists in docker_stacks to those guests", () => {
    const r = renderModelStack(model, MODEL_DIR, "qdrant_service", "dev1");
    expect(r.namespace).toBe("dev1_qdrant_service");
    for (const c of constraints(r.services)) expect(c).toContain(stackPinConstraint("qdrant_service"));
    expect(pinConstraintOf(model, "qdrant_service")).toBe(stackPinConstraint("qdrant_service"));
  });

  it("puts the environment's shared network first in the specs", () => {
    const specs = stackSpecs(renderModelStack(model, MODEL_DIR, "qdrant_service", "test")) as {
      networks: { Name: string }[];
    };
    expect(specs.networks[0]?.Name).toBe(environmentNetworkName("test"));
  });

  it.each([
    ["nope", "dev1", /no stack named nope/],
    ["qdrant_service", "staging", /no environment named staging/],
  ])("refuses %s in %s", (stack, env, message) => {
    let err: unknown;
    try {
      renderModelStack(model, MODEL_DIR, stack, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PhoenixError);
    expect((err as PhoenixError).code).toBe(ErrorCode.NOT_FOUND);
    expect((err as PhoenixError).message).toMatch(message);
  });

  it("records the hash the planner compares, so a deployed stack plans nothing", () => {
    const desired = desiredState(model, {
      swarm: { initialized: false, nodes: [] },
      guests: [],
      networks: [],
      stacks: [],
    });
    for (const s of desired.stacks) expect(deploymentHash(model, s.stack, s.env)).toBe(s.specHash);
    expect(desired.stacks.length).toBeGreaterThan(0);
  });
});

describe("idempotency keys", () => {
  it.each([
    [{ runId: "r1" }, "swarm.join", { guest: "a" }, { runId: "r1" }, "swarm.join", { guest: "a" }, true],
    [{ runId: "r1" }, "swarm.join", { guest: "a" }, { runId: "r1" }, "swarm.join", { guest: "b" }, false],
    [{ runId: "r1" }, "swarm.join", { guest: "a" }, { runId: "r2" }, "swarm.join", { guest: "a" }, false],
    [{ runId: "r1" }, "swarm.join", { guest: "a" }, { runId: "r1" }, "swarm.leave", { guest: "a" }, false],
  ])("%j %s %j vs %j %s %j: same = %s", (c1, w1, x1, c2, w2, x2, same) => {
    expect(workKey(c1, w1, x1) === workKey(c2, w2, x2)).toBe(same);
  });

  it("never carries the content itself (it may hold secrets)", () => {
    expect(workKey({ runId: "r" }, "stack.deploy", { specsJson: "TOP-SECRET" })).not.toContain("TOP-SECRET");
  });
});
