import { fileURLToPath } from "node:url";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  environmentNetworkName,
  loadModel,
  type Model,
  stackPinConstraint,
  stackSourceHash,
} from "@phoenix/model";
import type { StackApplyCommand } from "@phoenix/proto";
import { RENDER_REVISION } from "@phoenix/stacks";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createFleetActions,
  deploymentHash,
  type EventData,
  pinConstraintOf,
  renderModelStack,
  stackSpecs,
  workKey,
} from "./fleet-actions";
import { createLogger } from "./logger";
import { desiredState } from "./scheduler";
import type { EnvironmentRecord } from "./state";
import { type RegistryHarness, startRegistryHarness } from "./test-support/registry-harness";
import type { ScriptedAnswer } from "./test-support/scripted-agent";

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

  it("ensures the networks of the other environments a stack joins, with their subnets", () => {
    const withSubnet = {
      ...model,
      cluster: { ...model.cluster, environmentSubnets: { test: "10.42.0.0/20" } },
    };
    // The example's Traefik runs in production and joins dev1's and test's networks (external).
    const specs = stackSpecs(renderModelStack(withSubnet, MODEL_DIR, "traefik", "production")) as {
      networks: { Name: string; IPAM?: unknown; Labels: Record<string, string> }[];
    };
    expect(specs.networks.map((n) => n.Name)).toEqual([
      "phoenix_env_production",
      "phoenix_env_dev1",
      "phoenix_env_test",
    ]);
    expect(specs.networks[2]?.IPAM).toEqual({ Driver: "default", Config: [{ Subnet: "10.42.0.0/20" }] });
    for (const n of specs.networks) expect(n.Labels["phoenix.role"]).toBe("environment-network");
  });

  it("gives the environment network the subnet etc/phoenix_cluster.json sets for it", () => {
    const withSubnet = {
      ...model,
      cluster: { ...model.cluster, environmentSubnets: { test: "10.42.0.0/20" } },
    };
    const subnet = (env: string) =>
      renderModelStack(withSubnet, MODEL_DIR, "qdrant_service", env).environmentNetwork?.IPAM;
    expect(subnet("test")).toEqual({ Driver: "default", Config: [{ Subnet: "10.42.0.0/20" }] });
    expect(subnet("dev1")).toBeUndefined();
  });

  it.each([
    [
      "nope",
      "dev1",
      /^no stack named nope in the model \(known: portainer, qdrant_service, thinkheads_ai_app, traefik\)$/,
    ],
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

  it("plans a deployment again once when Phoenix renders the same files differently (a new RENDER_REVISION)", () => {
    const [s] = desiredState(model, {
      swarm: { initialized: false, nodes: [] },
      guests: [],
      networks: [],
      stacks: [],
    }).stacks;
    const source = model.stacks[s!.stack]!;
    const pin = pinConstraintOf(model, s!.stack);
    // What a coordinator rendering with the revision before this one recorded.
    const before = stackSourceHash(source, s!.env, `render ${RENDER_REVISION - 1}\0${pin ?? ""}`);
    const observed = (specHash: string) => ({
      swarm: { initialized: false, nodes: [] },
      guests: [],
      networks: [],
      stacks: [{ stack: s!.stack, env: s!.env, specHash, source: "model" as const }],
    });
    // The planner deploys a stack again when the hash it recorded differs from the desired one.
    const desiredHash = desiredState(model, observed(before)).stacks.find(
      (d) => d.stack === s!.stack && d.env === s!.env,
    )?.specHash;
    expect(desiredHash).toBeDefined();
    expect(desiredHash).not.toBe(before);
    expect(desiredHash).toBe(deploymentHash(model, s!.stack, s!.env));
    expect(deploymentHash(model, s!.stack, s!.env)).toBe(
      stackSourceHash(source, s!.env, `render ${RENDER_REVISION}\0${pin ?? ""}`),
    );
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

describe("a stack deploy that fails on the agent", () => {
  let h: RegistryHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  /**
   * Deploys qdrant_service to dev1 through one scripted manager that answers the apply with `answer`;
   * the journal has `recorded` as the fingerprints of the last deploy, and `applied` gets the command.
   */
  async function deploy(answer: ScriptedAnswer, recorded?: Record<string, string>) {
    h = await startRegistryHarness();
    const applied: StackApplyCommand[] = [];
    await h.agent({
      agentId: "m1",
      hostname: "manager-1",
      manager: "node-1",
      handle: (cmd) => {
        if (cmd.kind.case !== "stackApply") return undefined;
        applied.push(cmd.kind.value);
        return answer;
      },
    }).welcome;
    const events: EventData[] = [];
    const journal: { record: EnvironmentRecord; outcome: { error?: string; dockerWrites?: number } }[] = [];
    const actions = createFleetActions({
      registry: h.registry,
      managers: h.managers,
      emit: (data) => events.push(data),
      journal: {
        deployed: async (record, outcome) => void journal.push({ record, outcome }),
        removed: async () => {},
        fingerprints: (namespace) => (namespace === "dev1_qdrant_service" ? recorded : undefined),
        adoptFingerprints: async () => {},
      },
      modelDir: MODEL_DIR,
      logger: createLogger("silent"),
    });
    const { result } = await actions.deployStack({ runId: "r1" }, model, "qdrant_service", "dev1");
    return { result, events, journal, applied };
  }

  const failedApply = (rolledBack: boolean) => ({
    services: [
      {
        name: "dev1_qdrant_service_qdrant",
        action: rolledBack ? "rolled-back" : "updated",
        state: "failed",
        running: 0,
        desired: 1,
        error: "No such image: nope:latest",
      },
    ],
    dockerWrites: 3,
    rolledBack,
  });

  it.each([
    ["rolled back, said only by the flag", true, "service dev1_qdrant_service_qdrant: task failed", true],
    ["not rolled back, though the message says so", false, "image nope: rolled back by hand", false],
  ])("keeps the agent's partial report: %s", async (_, flag, message, rolledBack) => {
    const { result, events, journal } = await deploy({
      error: { code: "DEPLOY_FAILED", message },
      result: { case: "stackApply", value: failedApply(flag) },
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ code: "DEPLOY_FAILED", message });
    expect(result.apply?.services.map((s) => [s.name, s.state, s.error])).toEqual([
      ["dev1_qdrant_service_qdrant", "failed", "No such image: nope:latest"],
    ]);
    expect(result.apply?.rolledBack).toBe(rolledBack);
    const failed = events.find((e) => e.case === "stackFailed");
    expect(failed?.value).toMatchObject({ namespace: "dev1_qdrant_service", rolledBack });
    expect(journal).toHaveLength(1);
    expect(journal[0]!.record.status).toBe("failed");
    expect(journal[0]!.outcome).toEqual({ error: expect.stringContaining(message), dockerWrites: 3 });
  });

  it("has no report and no rollback when the agent sent none", async () => {
    const { result, events, journal } = await deploy({
      error: { code: "DOCKER", message: "stack apply: restored nothing: Docker is not reachable" },
    });
    expect(result.ok).toBe(false);
    expect(result.apply).toBeUndefined();
    expect(events.find((e) => e.case === "stackFailed")?.value).toMatchObject({ rolledBack: false });
    expect(journal[0]!.outcome).toEqual({ error: expect.stringContaining("not reachable") });
    expect(journal[0]!.outcome.dockerWrites).toBeUndefined();
  });

  it("sends the fingerprints the last deploy recorded, and records none for a failed one", async () => {
    const recorded = { dev1_qdrant_service_qdrant: "f0" };
    const { applied, journal } = await deploy(
      {
        error: { code: "DEPLOY_FAILED", message: "task failed" },
        result: { case: "stackApply", value: failedApply(true) },
      },
      recorded,
    );
    expect(applied[0]?.fingerprints).toEqual(recorded);
    expect(journal[0]!.record.fingerprints).toBeUndefined();
  });
});

describe("a stack deploy that succeeds", () => {
  it("records the fingerprints the agent reported, for the next apply and check", async () => {
    const h = await startRegistryHarness();
    try {
      const fingerprints = { dev1_qdrant_service_qdrant: "f1" };
      await h.agent({
        agentId: "m1",
        hostname: "manager-1",
        manager: "node-1",
        handle: (cmd) =>
          cmd.kind.case === "stackApply"
            ? {
                result: {
                  case: "stackApply",
                  value: {
                    services: [
                      {
                        name: "dev1_qdrant_service_qdrant",
                        action: "unchanged",
                        state: "running",
                        running: 1,
                        desired: 1,
                      },
                    ],
                    fingerprints,
                  },
                },
              }
            : undefined,
      }).welcome;
      const journal: EnvironmentRecord[] = [];
      const actions = createFleetActions({
        registry: h.registry,
        managers: h.managers,
        emit: () => {},
        journal: {
          deployed: async (record) => void journal.push(record),
          removed: async () => {},
          fingerprints: () => undefined,
          adoptFingerprints: async () => {},
        },
        modelDir: MODEL_DIR,
        logger: createLogger("silent"),
      });
      const { result } = await actions.deployStack({ runId: "r1" }, model, "qdrant_service", "dev1");
      expect(result.ok).toBe(true);
      expect(journal[0]).toMatchObject({ status: "deployed", fingerprints });
      // The state keeps them; the caller's answer does not carry them.
      expect(result.apply?.fingerprints).toEqual({});
    } finally {
      await h.stop();
    }
  });
});

describe("comparing stack deployments with the swarm", () => {
  let h: RegistryHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  /**
   * Actions whose one scripted manager answers stack checks: qdrant_service's service is gone in
   * every environment, production_traefik cannot be compared. `sent` gets every specs_json.
   */
  async function checking(checkBatchBytes?: number) {
    h = await startRegistryHarness();
    const commands: string[][] = [];
    const sent: string[] = [];
    const fingerprintsSent: Record<string, Record<string, string>> = {};
    const notesOnly: string[] = [];
    const removing: string[][] = [];
    const adopted: [string, Readonly<Record<string, string>>][] = [];
    await h.agent({
      agentId: "m1",
      hostname: "manager-1",
      manager: "node-1",
      handle: (cmd) => {
        if (cmd.kind.case !== "stackCheck") return undefined;
        const stacks = cmd.kind.value.stacks;
        commands.push(stacks.map((st) => st.namespace));
        sent.push(...stacks.map((st) => st.specsJson));
        for (const st of stacks) fingerprintsSent[st.namespace] = st.fingerprints;
        notesOnly.push(...stacks.filter((st) => st.notesOnly).map((st) => st.namespace));
        removing.push(cmd.kind.value.removing);
        const answer = (namespace: string) =>
          namespace === "production_traefik"
            ? { namespace, error: { code: "CONFLICT", message: "secret taken" } }
            : {
                namespace,
                differences: namespace.endsWith("_qdrant_service")
                  ? [`service ${namespace}_qdrant: missing`]
                  : [],
                // Both stacks of dev1 ask the environment network for a subnet it does not have.
                ...(namespace.startsWith("dev1_")
                  ? { notes: ["network phoenix_env_dev1: has subnet ..."] }
                  : {}),
                // Checked without fingerprints and converged: the agent gives the services' own.
                ...(namespace === "dev1_thinkheads_ai_app"
                  ? { fingerprints: { dev1_thinkheads_ai_app_app: "f2" } }
                  : {}),
              };
        return {
          result: { case: "stackCheck", value: { stacks: stacks.map((st) => answer(st.namespace)) } },
        };
      },
    }).welcome;
    const actions = createFleetActions({
      registry: h.registry,
      managers: h.managers,
      emit: () => {},
      journal: {
        deployed: async () => {},
        removed: async () => {},
        fingerprints: (namespace) =>
          namespace === "dev1_qdrant_service" ? { dev1_qdrant_service_qdrant: "f1" } : undefined,
        adoptFingerprints: async (namespace, fingerprints) => void adopted.push([namespace, fingerprints]),
      },
      modelDir: MODEL_DIR,
      logger: createLogger("silent"),
      ...(checkBatchBytes ? { checkBatchBytes } : {}),
    });
    return { actions, commands, sent, fingerprintsSent, adopted, notesOnly, removing };
  }

  const targets = [
    { stack: "qdrant_service", env: "dev1", specHash: "h" },
    { stack: "thinkheads_ai_app", env: "dev1", specHash: "h" },
    { stack: "traefik", env: "production", specHash: "h" },
    { stack: "nope", env: "dev1", specHash: "h" },
  ];

  it("asks one command for every stack, and answers per stack: differences, or why not", async () => {
    const { actions, commands, fingerprintsSent, adopted } = await checking();
    const found = await actions.checkStacks(model, targets);
    expect(commands).toEqual([["dev1_qdrant_service", "dev1_thinkheads_ai_app", "production_traefik"]]);
    // Each stack with the fingerprints its last deploy recorded (none recorded: none sent).
    expect(fingerprintsSent).toEqual({
      dev1_qdrant_service: { dev1_qdrant_service_qdrant: "f1" },
      dev1_thinkheads_ai_app: {},
      production_traefik: {},
    });
    // Fingerprints the agent gave for a deployment recorded without them are kept.
    expect(adopted).toEqual([["dev1_thinkheads_ai_app", { dev1_thinkheads_ai_app_app: "f2" }]]);
    expect(found.stacks.get("dev1/qdrant_service")).toEqual(["service dev1_qdrant_service_qdrant: missing"]);
    expect(found.stacks.get("dev1/thinkheads_ai_app")).toEqual([]);
    expect(found.stacks.get("production/traefik")).toMatchObject({
      code: "CONFLICT",
      message: "secret taken",
    });
    // A stack the model cannot render is not sent; it says why.
    expect(found.stacks.get("dev1/nope")).toMatchObject({ code: "NOT_FOUND" });
    // A note several stacks give comes once.
    expect(found.notes).toEqual(["network phoenix_env_dev1: has subnet ..."]);
  });

  it("sends a deployment only counted without fingerprints, and the namespaces the plan removes", async () => {
    const { actions, fingerprintsSent, notesOnly, removing } = await checking();
    await actions.checkStacks(
      model,
      [{ stack: "qdrant_service", env: "dev1", specHash: "h", notesOnly: true }, targets[1]!],
      undefined,
      ["dev1_old"],
    );
    expect(notesOnly).toEqual(["dev1_qdrant_service"]);
    expect(fingerprintsSent.dev1_qdrant_service).toEqual({});
    expect(removing).toEqual([["dev1_old"]]);
  });

  it("adopts no fingerprints for a deployment only counted, whatever the agent answers", async () => {
    const { actions, adopted } = await checking();
    await actions.checkStacks(model, [{ ...targets[1]!, notesOnly: true }]);
    expect(adopted).toEqual([]);
  });

  it("says which stack environments cannot render, one error each", async () => {
    const { actions } = await checking();
    const failures = actions.renderFailures(model, [targets[0]!, targets[3]!]);
    expect(failures.map((f) => [f.code, f.place.stack])).toEqual([["NOT_FOUND", "nope"]]);
    expect(actions.renderFailures(model, targets.slice(0, 3))).toEqual([]);
  });

  it("splits the stacks over several commands past the batch size", async () => {
    const { actions, commands } = await checking(1);
    const found = await actions.checkStacks(model, targets.slice(0, 3));
    expect(commands).toEqual([["dev1_qdrant_service"], ["dev1_thinkheads_ai_app"], ["production_traefik"]]);
    expect(found.stacks.size).toBe(3);
  });

  it("renders a stack again only when its hash or its environment network's subnet changes", async () => {
    const { actions, sent } = await checking();
    const target = (specHash: string) => [{ stack: "qdrant_service", env: "dev1", specHash }];
    // The same model with the compose file edited: only a new hash renders it again.
    const edited = structuredClone(model);
    const compose = edited.stacks.qdrant_service!.compose as { text: string };
    compose.text = compose.text.replace("4G", "2G");
    await actions.checkStacks(model, target("h1"));
    await actions.checkStacks(edited, target("h1"));
    await actions.checkStacks(edited, target("h2"));
    expect(sent[1]).toBe(sent[0]);
    expect(sent[2]).not.toBe(sent[0]);
    expect(sent[2]).toContain(String(2 * 1024 ** 3));
    // A subnet set for the environment network renders it again too.
    const subnet = {
      ...edited,
      cluster: { ...edited.cluster, environmentSubnets: { dev1: "10.250.0.0/20" } },
    };
    await actions.checkStacks(subnet, target("h2"));
    expect(sent[3]).toContain("10.250.0.0/20");
  });
});
