import { fileURLToPath } from "node:url";
import { loadModel, type Model } from "@phoenix/model";
import { beforeAll, describe, expect, it } from "vitest";
import { desiredState } from "../scheduler/desired-state";
import { OWNED_LABELS_KEY } from "../scheduler/label-ownership";
import {
  agentOf,
  buildModel,
  cpuFacts,
  GPU_LABELS_OF_GPU_FACTS,
  gpuFacts,
  nodeOf,
  observedOf,
} from "../scheduler/test-fleet";
import { describePlan } from "./describe-step";
import type { ObservedState } from "./observed-state";
import { plan } from "./plan";
import type { Plan } from "./plan-step";
import { simulateApply } from "./simulate-apply";

const EXAMPLE = fileURLToPath(new URL("../../../deploy/examples/model", import.meta.url));

let example: Model;
beforeAll(async () => {
  const r = await loadModel(EXAMPLE);
  if (!r.ok) throw new Error(r.errors.map((e) => e.describe()).join("\n"));
  example = r.model;
});

/** Fresh guests of the example model: agents online, no swarm yet. */
function freshExample(): ObservedState {
  return observedOf({
    guests: [
      agentOf("portainer", { vmid: 1001, facts: cpuFacts("portainer", { vmid: 1001, kind: "vm" }) }),
      agentOf("drphoenix", { vmid: 1002, facts: cpuFacts("drphoenix", { vmid: 1002, kind: "vm" }) }),
      agentOf("vllmqwen", { vmid: 950, facts: gpuFacts("vllmqwen", { vmid: 950, kind: "lxc" }) }),
      agentOf("dockerlxc", { vmid: 960, facts: cpuFacts("dockerlxc", { vmid: 960, kind: "lxc" }) }),
    ],
  });
}

const ids = (p: Plan) => p.steps.map((s) => s.id);
const planFor = (model: Model, observed: ObservedState) => plan(desiredState(model, observed), observed);

/** Plans, applies like a successful executor, and returns the state after. */
function converge(model: Model, observed: ObservedState): ObservedState {
  return simulateApply(observed, planFor(model, observed));
}

describe("plan on the example model", () => {
  it("forms the swarm on fresh guests, labels every guest and deploys every stack, in dependency order", () => {
    const p = planFor(example, freshExample());
    expect(ids(p)).toEqual([
      "init-swarm:portainer",
      "join:dockerlxc",
      "join:drphoenix",
      "join:vllmqwen",
      "labels:portainer",
      "labels:drphoenix",
      "labels:vllmqwen",
      "labels:dockerlxc",
      "create-network:dev1",
      "create-network:test",
      "create-network:production",
      "deploy-stack:dev1/qdrant_service",
      "deploy-stack:dev1/thinkheads_ai_app",
      "deploy-stack:production/portainer",
      "deploy-stack:production/qdrant_service",
      "deploy-stack:production/thinkheads_ai_app",
      "deploy-stack:production/traefik",
      "deploy-stack:test/qdrant_service",
      "deploy-stack:test/thinkheads_ai_app",
    ]);
    expect(p.notes).toEqual([]);
    const gpu = p.steps.find((s) => s.id === "labels:vllmqwen");
    expect(gpu).toMatchObject({
      kind: "labels",
      guest: { name: "vllmqwen", vmid: 950, hostname: "vllmqwen" },
      remove: [],
      set: {
        gpu: "true",
        "phoenix.gpu.present": "true",
        "phoenix.gpu.product": "NVIDIA-GeForce-RTX-4090",
        "phoenix.guest.kind": "lxc",
        "phoenix.stack.thinkheads_ai_app": "true",
        "phoenix.stack.portainer": "true",
        zone: "rack2",
        [OWNED_LABELS_KEY]: "gpu,zone",
      },
    });
    expect(gpu && "nodeId" in gpu).toBe(false);
    expect(p.steps.find((s) => s.id === "deploy-stack:dev1/thinkheads_ai_app")).toMatchObject({
      namespace: "dev1_thinkheads_ai_app",
      pinConstraint: "node.labels.phoenix.stack.thinkheads_ai_app == true",
      update: false,
    });
  });

  it("reads as one line per step for `phoenix plan`", () => {
    const text = describePlan(planFor(example, freshExample())).split("\n");
    expect(text.slice(0, 5)).toEqual([
      "  1. initialise the swarm on portainer (vmid 1001)",
      "  2. join dockerlxc (vmid 960) to the swarm as worker",
      "  3. join drphoenix (vmid 1002) to the swarm as worker",
      "  4. join vllmqwen (vmid 950) to the swarm as worker",
      "  5. label portainer (vmid 1001) once joined: set phoenix.cpu.arch=amd64, phoenix.cpu.cores=4, phoenix.memory.gib=16, phoenix.guest.kind=vm, phoenix.guest.vmid=1001, phoenix.stack.traefik=true, phoenix.stack.portainer=true, zone=rack1, ingress=true, phoenix.owned-labels=ingress,zone",
    ]);
    expect(text.slice(8)).toEqual([
      "  9. create overlay network phoenix_env_dev1 for environment dev1",
      " 10. create overlay network phoenix_env_test for environment test",
      " 11. create overlay network phoenix_env_production for environment production",
      " 12. deploy stack qdrant_service in dev1 as dev1_qdrant_service",
      " 13. deploy stack thinkheads_ai_app in dev1 as dev1_thinkheads_ai_app",
      " 14. deploy stack portainer in production as production_portainer",
      " 15. deploy stack qdrant_service in production as production_qdrant_service",
      " 16. deploy stack thinkheads_ai_app in production as production_thinkheads_ai_app",
      " 17. deploy stack traefik in production as production_traefik",
      " 18. deploy stack qdrant_service in test as test_qdrant_service",
      " 19. deploy stack thinkheads_ai_app in test as test_thinkheads_ai_app",
    ]);
  });

  it("plans nothing once the fleet is converged", () => {
    const after = converge(example, freshExample());
    const again = planFor(example, after);
    expect(again).toEqual({ steps: [], notes: [] });
    expect(describePlan(again)).toBe("Nothing to do: the fleet matches the model.");
  });

  it.each<[string, (o: ObservedState) => void, string[]]>([
    [
      "a GPU taken out of its guest",
      (o) => {
        o.guests.find((g) => g.name === "vllmqwen")!.facts = cpuFacts("vllmqwen", { kind: "lxc" });
      },
      ["labels:vllmqwen"],
    ],
    [
      "a stack deployed with other specs",
      (o) => {
        o.stacks[0]!.specHash = "old";
      },
      ["deploy-stack:dev1/qdrant_service"],
    ],
    [
      "a stack whose service was removed by hand",
      (o) => {
        o.stacks[0]!.differences = ["service dev1_qdrant_service_qdrant: missing"];
      },
      ["deploy-stack:dev1/qdrant_service"],
    ],
    [
      "a stack Phoenix deployed that nothing wants any more",
      (o) => void o.stacks.push({ stack: "legacy", env: "test", specHash: "x", source: "model" }),
      ["remove-stack:test/legacy"],
    ],
    [
      "an environment network deleted by hand",
      (o) => {
        o.networks = o.networks.filter((n) => n !== "phoenix_env_test");
      },
      ["create-network:test"],
    ],
    [
      "an operator's own label on a node",
      (o) => void Object.assign(o.swarm.nodes[1]!.labels as Record<string, string>, { team: "ml" }),
      [],
    ],
    [
      "a Phoenix label changed by hand",
      (o) => void Object.assign(o.swarm.nodes[0]!.labels as Record<string, string>, { zone: "rack9" }),
      ["labels:portainer"],
    ],
    [
      "a stale node left by a rebuilt guest",
      (o) => void o.swarm.nodes.push(nodeOf("old-drphoenix", "drphoenix", { state: "down" })),
      ["remove-node:old-drphoenix"],
    ],
  ])("after %s, plans only the fix", (_, drift, expected) => {
    const observed = converge(example, freshExample());
    drift(observed);
    const p = planFor(example, observed);
    expect(ids(p)).toEqual(expected);
    expect(planFor(example, simulateApply(observed, p)).steps).toEqual([]);
  });

  it("says what the swarm runs differently when it deploys a stack again with the same specs", () => {
    const observed = converge(example, freshExample());
    const qdrant = observed.stacks.find((s) => s.env === "dev1" && s.stack === "qdrant_service")!;
    qdrant.differences = [
      "service dev1_qdrant_service_qdrant: missing",
      "service dev1_qdrant_service_b: replicas changed outside Phoenix",
      "network dev1_qdrant_service_default: missing",
      "secret dev1_qdrant_service_key: missing",
    ];
    const p = planFor(example, observed);
    expect(p.steps).toMatchObject([{ kind: "deploy-stack", update: true, drift: qdrant.differences }]);
    expect(describePlan(p)).toBe(
      "  1. update stack qdrant_service in dev1 as dev1_qdrant_service (the swarm differs: service dev1_qdrant_service_qdrant: missing; " +
        "service dev1_qdrant_service_b: replicas changed outside Phoenix; network dev1_qdrant_service_default: missing, and 1 more)",
    );
    // Differences of a deployment whose specs changed anyway are not the reason.
    qdrant.specHash = "old";
    expect(planFor(example, observed).steps).toMatchObject([{ kind: "deploy-stack", update: true }]);
    expect(planFor(example, observed).steps[0]).not.toHaveProperty("drift");
  });

  it("takes the GPU labels away, and only those", () => {
    const observed = converge(example, freshExample());
    observed.guests.find((g) => g.name === "vllmqwen")!.facts = cpuFacts("vllmqwen", {
      kind: "lxc",
      cores: 8,
      memoryBytes: 40 * 2 ** 30,
    });
    const step = planFor(example, observed).steps[0]!;
    expect(step).toMatchObject({
      kind: "labels",
      nodeId: "node-vllmqwen",
      set: { [OWNED_LABELS_KEY]: "zone" },
    });
    expect(step.kind === "labels" && step.remove).toEqual(GPU_LABELS_OF_GPU_FACTS);
  });

  it("joins and labels a guest whose agent connects after the sync", () => {
    const observed = freshExample();
    const late = observed.guests.pop()!;
    const first = converge(example, observed);
    expect(planFor(example, first).notes).toEqual([
      {
        guest: "dockerlxc",
        message: "not in the swarm: its agent has not connected yet; it joins when it does",
      },
    ]);
    first.guests.push(late);
    expect(ids(planFor(example, first))).toEqual(["join:dockerlxc", "labels:dockerlxc"]);
  });
});

describe("plan: what it will not do", () => {
  const model = () =>
    buildModel({
      guests: [
        { vmid: 1001, name: "m1", role: "manager" },
        { vmid: 1002, name: "w1" },
      ],
      stacks: { web: ["dev1"] },
    });

  /** The same two guests with the manager role moved from m1 to w1. */
  const swappedModel = () =>
    buildModel({
      guests: [
        { vmid: 1001, name: "m1", role: "worker" },
        { vmid: 1002, name: "w1", role: "manager" },
      ],
      stacks: { web: ["dev1"] },
    });

  it("does not start a second swarm when one exists but no manager can be read", () => {
    const observed = observedOf({
      guests: [agentOf("m1", { online: false }), agentOf("w1", { nodeId: "x", state: "active" })],
    });
    expect(planFor(model(), observed)).toEqual({
      steps: [],
      notes: [
        {
          message:
            "a swarm exists (w1 report membership) but no manager could be read; nothing is planned until a manager's agent answers",
        },
      ],
    });
  });

  it("waits for a manager to initialise the swarm on", () => {
    const observed = observedOf({ guests: [agentOf("m1", { online: false }), agentOf("w1")] });
    expect(planFor(model(), observed)).toEqual({
      steps: [],
      notes: [{ message: "the swarm is not initialised and no guest that should be a manager is online" }],
    });
  });

  it("leaves a guest of another swarm alone, and says so", () => {
    const observed = converge(model(), observedOf({ guests: [agentOf("m1"), agentOf("w1")] }));
    observed.guests[1] = agentOf("w1", { nodeId: "elsewhere", clusterId: "other" });
    observed.swarm.nodes = observed.swarm.nodes.filter((n) => n.hostname !== "w1");
    const p = planFor(model(), observed);
    expect(ids(p)).toEqual([]);
    expect(p.notes).toEqual([
      { guest: "w1", message: "not in the swarm: it is a member of another swarm (cluster other)" },
    ]);
  });

  it.each<[string, "locked" | "pending" | "error", string]>([
    ["locked", "locked", "not in the swarm: its engine's swarm is locked (autolock): unlock it first"],
    ["pending", "pending", "not in the swarm: its engine is joining the swarm right now"],
    ["in error", "error", "not in the swarm: its engine reports a swarm error: see `docker info` on it"],
  ])("does not join an engine whose swarm state is %s", (_, state, message) => {
    const observed = converge(
      model(),
      observedOf({ guests: [agentOf("m1"), agentOf("w1", { online: false })] }),
    );
    observed.guests[1] = agentOf("w1", { state });
    expect(planFor(model(), observed).notes).toEqual([{ guest: "w1", message }]);
  });

  it("moves the manager role one step at a time: promote, then demote", () => {
    const observed = converge(model(), observedOf({ guests: [agentOf("m1"), agentOf("w1")] }));
    const swapped = swappedModel();
    const p = planFor(swapped, observed);
    expect(ids(p)).toEqual(["promote:w1", "demote:m1"]);
    expect(planFor(swapped, simulateApply(observed, p)).steps).toEqual([]);
  });

  it("says why a role change waits instead of planning it", () => {
    const observed = converge(model(), observedOf({ guests: [agentOf("m1"), agentOf("w1")] }));
    observed.swarm.nodes.find((n) => n.hostname === "w1")!.state = "down";
    const swapped = swappedModel();
    const p = planFor(swapped, observed);
    expect(ids(p)).toEqual([]);
    expect(p.notes).toEqual([
      {
        guest: "w1",
        message: "promote held: node is down; promoting it would add a manager that cannot vote",
      },
      { guest: "m1", message: "demote held: it is the last manager" },
    ]);
  });

  it("lets a guest whose role becomes none leave, and pins availability when the model says so", () => {
    const observed = converge(model(), observedOf({ guests: [agentOf("m1"), agentOf("w1")] }));
    const changed = buildModel({
      guests: [
        { vmid: 1001, name: "m1", role: "manager", availability: "drain", stacks: ["web"] },
        { vmid: 1002, name: "w1", role: "none" },
      ],
      stacks: { web: ["dev1"] },
    });
    const p = planFor(changed, observed);
    expect(ids(p)).toEqual([
      "leave:w1",
      "labels:m1",
      "availability:m1",
      "create-network:dev1",
      "deploy-stack:dev1/web",
    ]);
    expect(planFor(changed, simulateApply(observed, p)).steps).toEqual([]);
  });

  it("adopts guests the model does not list", () => {
    const observed = converge(model(), observedOf({ guests: [agentOf("m1"), agentOf("w1")] }));
    observed.guests.push(agentOf("newbox", { facts: gpuFacts("newbox") }));
    const desired = desiredState(model(), observed, {
      adopted: [{ name: "newbox", hostname: "newbox", role: "worker" }],
    });
    const p = plan(desired, observed);
    expect(ids(p)).toEqual(["join:newbox", "labels:newbox"]);
    expect(p.steps[1]).toMatchObject({ set: { gpu: "true", "phoenix.gpu.present": "true" } });
  });
});

describe("plan: who asked for a stack environment", () => {
  // w1 pins web (deployed by sync in dev1 and production: source model); an operator ran
  // `phoenix swarm deploy api --env dev1` (source deploy); api is pinned by no guest.
  const base = () =>
    buildModel({
      guests: [
        { vmid: 1001, name: "m1", role: "manager" },
        { vmid: 1002, name: "w1", stacks: ["web"] },
      ],
      stacks: { web: ["dev1", "production"], api: ["dev1", "production"] },
    });
  const converged = () => {
    const fresh = observedOf({ guests: [agentOf("m1"), agentOf("w1")] });
    fresh.stacks.push({ stack: "api", env: "dev1", specHash: "before-the-model", source: "deploy" });
    return converge(base(), fresh);
  };
  const sources = (o: ObservedState) => o.stacks.map((s) => `${s.env}/${s.stack}:${s.source}`).sort();

  it("starts from a fleet where sync owns web and the operator owns api in dev1", () => {
    const o = converged();
    expect(sources(o)).toEqual(["dev1/api:deploy", "dev1/web:model", "production/web:model"]);
    expect(planFor(base(), o)).toEqual({ steps: [], notes: [] });
  });

  const keptNote = (stack: string, env: string) => ({
    stack: `${env}_${stack}`,
    message: `deployed with \`phoenix swarm deploy\`, but the model no longer defines stack ${stack} in ${env}: it keeps running as deployed until \`phoenix swarm rm ${stack} --env ${env}\``,
  });

  it.each<[string, (m: Model) => void, string[], object[]]>([
    [
      "web taken out of w1's docker_stacks: its environments go, with the pin label",
      (m) => {
        m.guests[1]!.dockerStacks = [];
      },
      ["labels:w1", "remove-stack:dev1/web", "remove-stack:production/web"],
      [],
    ],
    [
      "web taken out of the model",
      (m) => {
        m.guests[1]!.dockerStacks = [];
        delete m.stacks.web;
      },
      ["labels:w1", "remove-stack:dev1/web", "remove-stack:production/web"],
      [],
    ],
    [
      "production taken out of web's phoenix.json",
      (m) => {
        delete m.stacks.web!.environments.production;
      },
      ["remove-stack:production/web"],
      [],
    ],
    [
      "production taken out of the cluster's environments",
      (m) => {
        m.cluster.environments = ["dev1"];
      },
      ["remove-stack:production/web"],
      [],
    ],
    [
      "w1 leaving the swarm (swarm_role none): what it pinned goes",
      (m) => {
        m.guests[1]!.swarmRole = "none";
      },
      ["leave:w1", "remove-stack:dev1/web", "remove-stack:production/web"],
      [],
    ],
    [
      "api's compose file changed: the operator's deployment follows it",
      (m) => {
        m.stacks.api!.files["stacks/api/docker-compose.yml"] += "# tuned\n";
      },
      ["deploy-stack:dev1/api"],
      [],
    ],
    [
      "api taken out of the model: the operator's deployment stays",
      (m) => void delete m.stacks.api,
      [],
      [keptNote("api", "dev1")],
    ],
    [
      "dev1 taken out of api's phoenix.json: it stays",
      (m) => void delete m.stacks.api!.environments.dev1,
      [],
      [keptNote("api", "dev1")],
    ],
    [
      "dev1 taken out of the cluster: web's dev1 goes, api's stays",
      (m) => {
        m.cluster.environments = ["production"];
      },
      ["remove-stack:dev1/web"],
      [keptNote("api", "dev1")],
    ],
  ])("after %s", (_, change, expected, notes) => {
    const observed = converged();
    const m = structuredClone(base());
    change(m);
    const p = planFor(m, observed);
    expect(ids(p)).toEqual(expected);
    expect(p.notes).toEqual(notes);
    expect(p.steps.find((s) => s.kind === "deploy-stack")).toMatchObject(
      expected.includes("deploy-stack:dev1/api") ? { update: true } : {},
    );
    const after = simulateApply(observed, p);
    expect(planFor(m, after)).toEqual({ steps: [], notes });
    expect(sources(after)).toContain("dev1/api:deploy");
  });

  it("an operator's deployment of a pinned stack stays when the pin goes; sync's own go", () => {
    const pinned = structuredClone(base());
    pinned.guests[1]!.dockerStacks = ["web", "api"];
    const observed = converged();
    const first = planFor(pinned, observed);
    // Pinned now: the operator's dev1 gets the pin constraint (redeployed), production is the model's.
    expect(ids(first)).toEqual(["labels:w1", "deploy-stack:dev1/api", "deploy-stack:production/api"]);
    const both = simulateApply(observed, first);
    expect(sources(both)).toEqual([
      "dev1/api:deploy",
      "dev1/web:model",
      "production/api:model",
      "production/web:model",
    ]);
    const unpinned = planFor(base(), both);
    expect(ids(unpinned)).toEqual(["labels:w1", "remove-stack:production/api", "deploy-stack:dev1/api"]);
    expect(planFor(base(), simulateApply(both, unpinned)).steps).toEqual([]);
  });

  it("deploys again an operator's deployment that failed", () => {
    const observed = converged();
    observed.stacks.find((s) => s.stack === "api")!.specHash = "failed:x";
    expect(ids(planFor(base(), observed))).toEqual(["deploy-stack:dev1/api"]);
  });
});

describe("plan at fleet scale", () => {
  it("plans 1,000 guests and 200 stacks, and nothing once applied (its speed is benchmarked in bench/)", () => {
    const stacks: Record<string, string[]> = {};
    for (let i = 0; i < 200; i++) stacks[`stack${i}`] = ["dev1", "test", "production"];
    const model = buildModel({
      guests: Array.from({ length: 1000 }, (_, i) => ({
        vmid: 1000 + i,
        name: `guest-${i}`,
        role: i < 5 ? ("auto" as const) : ("worker" as const),
        labels: [`zone=rack${i % 10}`],
        stacks: [`stack${i % 200}`],
      })),
      environments: ["dev1", "test", "production"],
      stacks,
    });
    const fresh = observedOf({
      guests: model.guests.map((g, i) =>
        agentOf(g.name, { facts: i % 4 === 0 ? gpuFacts(g.name) : cpuFacts(g.name) }),
      ),
    });
    const first = planFor(model, fresh);
    expect(first.steps.length).toBe(1 + 999 + 1000 + 3 + 600);

    const converged = simulateApply(fresh, first);
    const again = planFor(model, converged);
    expect(again.steps).toEqual([]);
  });
});
