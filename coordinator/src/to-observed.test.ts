import { environmentNetworkName } from "@phoenix/model";
import {
  create,
  DockerStateSchema,
  InventorySchema,
  NodeAvailability,
  NodeRole,
  SwarmLocalState,
  SwarmNodeSchema,
} from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import type { AgentRecord } from "./registry";
import type { CoordinatorState } from "./state";
import { observedNode, toObservedState } from "./to-observed";

const agent = (over: Partial<AgentRecord>): AgentRecord =>
  ({
    agentId: "a",
    guest: "",
    name: "",
    vmid: undefined,
    hostname: "",
    inModel: false,
    adopted: false,
    agentVersion: "1",
    inventory: create(InventorySchema),
    docker: undefined,
    connected: true,
    online: true,
    lastSeen: 0,
    peerAddress: "",
    sessionId: "s",
    pendingCommands: 0,
    ...over,
  }) as AgentRecord;

const state = (envs: CoordinatorState["environments"]): CoordinatorState => ({
  version: 1,
  adopted: {},
  environments: envs,
  history: [],
});

describe("toObservedState", () => {
  it("maps agents with a guest, the swarm and recorded deployments", () => {
    const observed = toObservedState(
      {
        at: 0,
        agents: [
          agent({
            guest: "m1",
            hostname: "m1",
            vmid: 101,
            docker: create(DockerStateSchema, {
              swarmState: SwarmLocalState.ACTIVE,
              nodeId: "n1",
              clusterId: "c1",
              manager: true,
            }),
          }),
          agent({ guest: "w1", hostname: "w1", online: false }),
          agent({ guest: "", hostname: "stranger" }),
        ],
        swarm: {
          clusterId: "c1",
          via: "m1",
          nodes: [
            create(SwarmNodeSchema, {
              id: "n1",
              hostname: "m1",
              role: NodeRole.MANAGER,
              availability: NodeAvailability.ACTIVE,
              state: "ready",
              leader: true,
              reachability: "reachable",
            }),
          ],
        },
      },
      state({
        dev1_web: {
          stack: "web",
          env: "dev1",
          namespace: "dev1_web",
          deployedAt: "2026-01-01T00:00:00Z",
          specHash: "h1",
          status: "deployed",
          services: [],
          source: "model",
        },
        test_web: {
          stack: "web",
          env: "test",
          namespace: "test_web",
          deployedAt: "2026-01-01T00:00:00Z",
          specHash: "h2",
          status: "failed",
          services: [],
          source: "deploy",
        },
      }),
    );
    expect(observed.swarm).toEqual({
      initialized: true,
      clusterId: "c1",
      nodes: [
        {
          id: "n1",
          hostname: "m1",
          role: "manager",
          availability: "active",
          state: "ready",
          labels: {},
          leader: true,
          reachable: true,
        },
      ],
    });
    expect(observed.guests.map((g) => [g.name, g.online, g.swarm.state, g.swarm.nodeId, g.vmid])).toEqual([
      ["m1", true, "active", "n1", 101],
      ["w1", false, "inactive", undefined, undefined],
    ]);
    expect(observed.stacks).toEqual([
      { stack: "web", env: "dev1", specHash: "h1", source: "model" },
      { stack: "web", env: "test", specHash: "failed:h2", source: "deploy" },
    ]);
    expect(observed.networks).toEqual([environmentNetworkName("dev1")]);
  });

  it("no manager answered: no swarm", () => {
    expect(toObservedState({ at: 0, agents: [] }, state({})).swarm).toEqual({
      initialized: false,
      nodes: [],
    });
  });

  it.each([
    ["unreachable", false],
    ["", undefined],
  ])("reachability %j", (reachability, reachable) => {
    expect(
      observedNode(create(SwarmNodeSchema, { id: "x", role: NodeRole.WORKER, reachability })).reachable,
    ).toBe(reachable);
  });
});
