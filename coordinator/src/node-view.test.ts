import { modelOrThrow, parseModel } from "@phoenix/model";
import {
  create,
  DockerStateSchema,
  InventorySchema,
  NodeRole,
  SwarmNodeSchema,
  Virtualization,
} from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { buildNodes, findNode } from "./node-view";
import type { AgentRecord } from "./registry";

const model = modelOrThrow(
  parseModel({
    "etc/phoenix_cluster.json": JSON.stringify({ name: "lab", environments: ["dev1"] }),
    "etc/phoenix_vm_configs.json": JSON.stringify({
      vms: [
        { vmid: 101, name: "m1", swarm_role: "manager" },
        { vmid: 102, name: "w1", swarm_role: "worker" },
      ],
    }),
  }),
);

const agent = (over: Partial<AgentRecord>): AgentRecord =>
  ({
    agentId: "a",
    guest: "",
    name: "",
    vmid: undefined,
    hostname: "",
    inModel: false,
    adopted: false,
    agentVersion: "0.1.0",
    inventory: create(InventorySchema),
    docker: undefined,
    connected: true,
    online: true,
    lastSeen: 1_700_000_000_000,
    peerAddress: "",
    sessionId: "s",
    pendingCommands: 0,
    ...over,
  }) as AgentRecord;

describe("buildNodes", () => {
  const nodes = buildNodes({
    model,
    agents: [
      agent({
        agentId: "a1",
        guest: "m1",
        name: "m1",
        hostname: "m1",
        inModel: true,
        docker: create(DockerStateSchema, { nodeId: "n1" }),
      }),
      agent({
        agentId: "a9",
        name: "stray",
        hostname: "stray",
        inventory: create(InventorySchema, {
          host: { hostname: "stray", virtualization: Virtualization.LXC },
        }),
      }),
    ],
    swarm: {
      clusterId: "c",
      via: "m1",
      nodes: [
        create(SwarmNodeSchema, {
          id: "n1",
          hostname: "m1",
          role: NodeRole.MANAGER,
          state: "ready",
          labels: { zone: "a" },
        }),
        create(SwarmNodeSchema, { id: "n2", hostname: "w1", role: NodeRole.WORKER, state: "down" }),
        create(SwarmNodeSchema, { id: "n7", hostname: "old-box", role: NodeRole.WORKER, state: "down" }),
      ],
    },
    desired: new Map([["m1", { role: NodeRole.MANAGER, labels: { zone: "a", "phoenix.cpu.cores": "2" } }]]),
    servicesByNode: new Map([["n1", ["dev1_web_web"]]]),
  });

  it("joins model guests, agents and swarm nodes, by name", () => {
    expect(nodes.map((n) => [n.name, n.inModel, n.online ?? false, n.nodeId ?? "", n.kind ?? ""])).toEqual([
      ["m1", true, true, "n1", "vm"],
      ["old-box", false, false, "n7", ""],
      ["stray", false, true, "", "lxc"],
      ["w1", true, false, "n2", "vm"],
    ]);
  });

  it("carries roles, labels, services and what the scheduler wants", () => {
    const m1 = nodes[0]!;
    expect([m1.role, m1.labels, m1.desiredRole, m1.desiredLabels, m1.services]).toEqual([
      NodeRole.MANAGER,
      { zone: "a" },
      NodeRole.MANAGER,
      { zone: "a", "phoenix.cpu.cores": "2" },
      ["dev1_web_web"],
    ]);
    expect(nodes[3]!.desiredRole).toBe(NodeRole.UNSPECIFIED);
  });

  it.each([
    ["m1", "m1"],
    ["102", "w1"],
    ["n7", "old-box"],
    ["STRAY", "stray"],
    ["nope", undefined],
  ])("findNode(%s) = %s", (key, name) => expect(findNode(nodes, key)?.name).toBe(name));
});
