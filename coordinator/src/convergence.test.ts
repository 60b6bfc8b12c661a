import { fileURLToPath } from "node:url";
import { loadModel } from "@phoenix/model";
import { DockerStatus, NodeAvailability, NodeRole, SwarmLocalState } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { legacyEnvironmentSource, RECONCILE_SETTLE_MS } from "./convergence";
import { startTestCoordinator, TEST_TOKENS, waitFor, writeModel } from "./test-support/lab";
import { type ScriptedAnswer, startScriptedAgent } from "./test-support/scripted-agent";

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

/**
 * A manager and a worker over real gRPC, scripted: the manager keeps the swarm's nodes (inspect,
 * node update, join tokens); the worker's join is held until the test lets it through.
 */
async function scriptedFleet() {
  const dir = writeModel(FLEET_MODEL);
  const lab = await startTestCoordinator({ modelDir: dir, host: "127.0.0.1", reconcileDebounceMs: 10 });
  const nodes = new Map<string, { hostname: string; role: NodeRole; labels: Record<string, string> }>([
    ["n-m1", { hostname: "m1", role: NodeRole.MANAGER, labels: {} }],
  ]);
  const swarmNode = (id: string) => {
    const n = nodes.get(id)!;
    const manager = n.role === NodeRole.MANAGER;
    return {
      id,
      hostname: n.hostname,
      role: n.role,
      availability: NodeAvailability.ACTIVE,
      state: "ready",
      labels: { ...n.labels },
      leader: manager,
      reachability: manager ? "reachable" : "",
    };
  };
  const inventory = (hostname: string, vmid: number, docker: object) => ({
    host: { hostname, vmid, arch: "x86_64" },
    cpu: { cores: 2 },
    memory: { totalBytes: 8n * 2n ** 30n },
    docker: { status: DockerStatus.OK, ...docker },
  });
  const agents = [
    startScriptedAgent(lab.agentAddress, {
      agentId: "agent-m1",
      token: TEST_TOKENS.enrollment,
      inventory: inventory("m1", 101, {
        swarmState: SwarmLocalState.ACTIVE,
        manager: true,
        nodeId: "n-m1",
        clusterId: "c1",
      }),
      handle: (cmd): ScriptedAnswer => {
        const k = cmd.kind;
        if (k.case === "swarmInspect")
          return {
            result: {
              case: "swarmInspect",
              value: { clusterId: "c1", nodes: [...nodes.keys()].map(swarmNode) },
            },
          };
        if (k.case === "joinTokens")
          return { result: { case: "joinTokens", value: { worker: "w-token", manager: "m-token" } } };
        if (k.case === "nodeUpdate") {
          const n = nodes.get(k.value.nodeId)!;
          Object.assign(n.labels, k.value.labelsAdd);
          for (const key of k.value.labelsRemove) delete n.labels[key];
          return {
            result: { case: "nodeUpdate", value: { changed: true, node: swarmNode(k.value.nodeId) } },
          };
        }
        return undefined;
      },
    }),
  ];
  await agents[0]!.welcome;
  const client = lab.client();
  // The manager's own reconcile labels it; then only the worker's absence is left.
  await waitFor("m1 labelled", async () => (await client.plan({})).steps.length === 0, 10_000);

  let letJoin = () => {};
  const joinAsked = new Promise<void>((asked) => {
    agents.push(
      startScriptedAgent(lab.agentAddress, {
        agentId: "agent-w1",
        token: TEST_TOKENS.enrollment,
        inventory: inventory("w1", 102, { swarmState: SwarmLocalState.INACTIVE }),
        handle: (cmd): ScriptedAnswer => {
          if (cmd.kind.case !== "swarmJoin") return undefined;
          asked();
          return new Promise((answer) => {
            letJoin = () => {
              nodes.set("n-w1", { hostname: "w1", role: NodeRole.WORKER, labels: {} });
              answer({ result: { case: "swarmJoin", value: { nodeId: "n-w1", already: false } } });
            };
          });
        },
      }),
    );
  });
  return {
    client,
    joinAsked,
    letJoin: () => letJoin(),
    workerLabels: () => nodes.get("n-w1")?.labels ?? {},
    async stop() {
      // The coordinator's stop waits for the reconcile: let the join through, keep the agents till then.
      letJoin();
      await lab.stop();
      for (const a of agents) a.close();
    },
  };
}

const FLEET_MODEL = {
  "etc/phoenix_cluster.json": {
    name: "settle",
    swarm: { managers: 1, adopt: "none" },
    environments: ["dev1"],
  },
  "etc/phoenix_vm_configs.json": {
    vms: [
      { vmid: 101, name: "m1", swarm_role: "manager" },
      { vmid: 102, name: "w1", swarm_role: "worker", node_labels: ["zone=b"] },
    ],
  },
};

describe("plan while an automatic reconcile runs", () => {
  it("waits for it, and then shows nothing of what it did", async () => {
    const f = await scriptedFleet();
    try {
      await f.joinAsked;
      let answered = false;
      const started = Date.now();
      const planned = f.client.plan({}).finally(() => {
        answered = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(false);
      f.letJoin();
      const plan = await planned;
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(plan.steps.map((s) => s.id)).toEqual([]);
      expect(plan.warnings).toEqual([]);
      expect(f.workerLabels().zone).toBe("b");
    } finally {
      await f.stop();
    }
  });

  it(`waits no longer than ${RECONCILE_SETTLE_MS} ms, and says what is still running`, async () => {
    const f = await scriptedFleet();
    try {
      await f.joinAsked;
      const started = Date.now();
      const plan = await f.client.plan({});
      expect(Date.now() - started).toBeGreaterThanOrEqual(RECONCILE_SETTLE_MS - 50);
      expect(plan.steps.map((s) => s.id)).toEqual(["join:w1", "labels:w1"]);
      expect(plan.warnings).toEqual([
        "an automatic reconcile of w1 is still running: its steps may be under way",
      ]);
      f.letJoin();
      await waitFor("w1 labelled", () => f.workerLabels().zone === "b", 10_000);
    } finally {
      await f.stop();
    }
  });
});
