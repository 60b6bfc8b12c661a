import { fileURLToPath } from "node:url";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { loadModel, type Model } from "@phoenix/model";
import { type Command, durationMs } from "@phoenix/proto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFleetActions, type EventData } from "./fleet-actions";
import { createLogger } from "./logger";
import type { PlanStep } from "./planner";
import { createStepRunner } from "./step-runner";
import { type RegistryHarness, startRegistryHarness } from "./test-support/registry-harness";
import type { ScriptedAnswer } from "./test-support/scripted-agent";

const MODEL_DIR = fileURLToPath(new URL("../../deploy/examples/model", import.meta.url));
let model: Model;
beforeAll(async () => {
  const r = await loadModel(MODEL_DIR);
  if (!r.ok) throw r.errors[0];
  model = r.model;
});

let h: RegistryHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** A manager and a worker over real gRPC, and the step runner of one run over them. */
async function fleet(onManager: (cmd: Command) => ScriptedAnswer, m: Model = model) {
  h = await startRegistryHarness();
  const toManager: Command[] = [];
  const toWorker: Command[] = [];
  await h.agent({
    agentId: "m1",
    hostname: "manager-1",
    manager: "n-manager",
    handle: (cmd) => {
      toManager.push(cmd);
      return onManager(cmd);
    },
  }).welcome;
  await h.agent({
    agentId: "w1",
    hostname: "worker-1",
    handle: (cmd) => {
      toWorker.push(cmd);
      return cmd.kind.case === "swarmLeave" ? { result: { case: "swarmLeave", value: {} } } : undefined;
    },
  }).welcome;
  const events: EventData[] = [];
  const actions = createFleetActions({
    registry: h.registry,
    managers: h.managers,
    emit: (data) => events.push(data),
    journal: {
      deployed: async () => {},
      removed: async () => {},
      fingerprints: () => undefined,
      adoptFingerprints: async () => {},
    },
    modelDir: MODEL_DIR,
    logger: createLogger("silent"),
  });
  const runner = createStepRunner({ actions, registry: h.registry, model: m, runId: "run-1" });
  const run = (step: PlanStep) => runner.run(step, { progress: () => {}, attempt: 1 });
  return { run, toManager, toWorker, events };
}

const guest = { name: "worker-1", hostname: "worker-1" };
const removed = (hostname: string): ScriptedAnswer => ({
  result: { case: "nodeRemove", value: { hostname } },
});

describe("create-network step", () => {
  it("creates the environment network with the subnet the cluster sets for it", async () => {
    const withSubnet = {
      ...model,
      cluster: { ...model.cluster, environmentSubnets: { dev1: "10.42.0.0/20" } },
    };
    const f = await fleet(
      () => ({ result: { case: "stackApply", value: { networksCreated: ["phoenix_env_dev1"] } } }),
      withSubnet,
    );
    const out = await f.run({
      kind: "create-network",
      id: "create-network:dev1",
      env: "dev1",
      network: "phoenix_env_dev1",
    });
    expect(out).toBe("network created");
    const cmd = f.toManager.find((c) => c.kind.case === "stackApply");
    const specs = JSON.parse(cmd?.kind.case === "stackApply" ? cmd.kind.value.specsJson : "{}");
    expect(specs.networks).toMatchObject([
      { Name: "phoenix_env_dev1", IPAM: { Driver: "default", Config: [{ Subnet: "10.42.0.0/20" }] } },
    ]);
  });
});

describe("remove-node and leave steps", () => {
  it("removes a stale node through a manager's agent, not the guest's", async () => {
    const f = await fleet(() => removed("worker-1"));
    const out = await f.run({ kind: "remove-node", id: "remove-node:n-old", guest, nodeId: "n-old" });
    expect(out).toBe("stale node n-old removed");
    expect(f.toWorker).toEqual([]);
    const cmd = f.toManager.find((c) => c.kind.case === "nodeRemove");
    expect(cmd?.kind.value).toMatchObject({ nodeId: "n-old", force: false });
    expect(cmd?.idempotencyKey).toMatch(/^run-1\/node\.remove\//);
    expect(f.events).toEqual([
      { case: "nodeRemoved", value: { guest: "worker-1", nodeId: "n-old", hostname: "worker-1" } },
    ]);
  });

  it("says so when the node was removed already, with no event", async () => {
    const f = await fleet(() => ({ result: { case: "nodeRemove", value: { already: true } } }));
    const out = await f.run({ kind: "remove-node", id: "remove-node:n-old", guest, nodeId: "n-old" });
    expect(out).toBe("node n-old was removed already");
    expect(f.events).toEqual([]);
  });

  it("fails the step with the manager's refusal", async () => {
    const f = await fleet(() => ({
      error: { code: "CONFLICT", message: "node n-old (worker-1) is ready, not down" },
    }));
    const err = await f
      .run({ kind: "remove-node", id: "remove-node:n-old", guest, nodeId: "n-old" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhoenixError);
    expect((err as PhoenixError).code).toBe(ErrorCode.CONFLICT);
    expect((err as PhoenixError).place.node).toBe("manager-1");
  });

  it("leave: the guest leaves, then a manager removes its node once it shows down", async () => {
    const f = await fleet(() => removed("worker-1"));
    const out = await f.run({ kind: "leave", id: "leave:worker-1", guest, nodeId: "n-w" });
    expect(out).toBe("left the swarm, node n-w removed");
    expect(f.toWorker.map((c) => c.kind.case)).toEqual(["swarmLeave"]);
    const cmd = f.toManager.find((c) => c.kind.case === "nodeRemove");
    expect(cmd?.kind.case === "nodeRemove" && cmd.kind.value.nodeId).toBe("n-w");
    const waitDown = cmd?.kind.case === "nodeRemove" ? cmd.kind.value.waitDown : undefined;
    expect(waitDown && durationMs(waitDown)).toBeGreaterThan(0);
    expect(h?.registry.get("worker-1")?.docker?.nodeId).toBe("");
  });
});
