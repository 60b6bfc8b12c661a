import { describe, expect, it } from "vitest";
import type { ObservedGuest, ObservedNode } from "../planner/observed-state";
import { scheduleRoles } from "./schedule-roles";
import { agentOf, buildModel, type GuestSpec, gpuFacts, nodeOf, observedOf } from "./test-fleet";

interface Case {
  guests: GuestSpec[];
  managers?: number | "auto";
  agents?: ObservedGuest[];
  nodes?: ObservedNode[];
}

function schedule(c: Case) {
  const model = buildModel({
    guests: c.guests,
    ...(c.managers !== undefined ? { managers: c.managers } : {}),
  });
  const agents = c.agents ?? c.guests.map((g) => agentOf(g.name));
  const s = scheduleRoles(model, observedOf({ nodes: c.nodes ?? [], guests: agents }));
  return {
    target: s.managerTarget,
    managers: [...s.roles]
      .filter(([, r]) => r === "manager")
      .map(([n]) => n)
      .sort(),
    order: s.managerOrder,
    changes: s.changes.map((ch) => `${ch.action} ${ch.guest}`),
    held: s.held.map((h) => `${h.action} ${h.guest}: ${h.reason}`),
  };
}

const autos = (n: number, kind?: "vm" | "lxc"): GuestSpec[] =>
  Array.from({ length: n }, (_, i) => ({
    vmid: 2001 + i,
    name: `n${i + 1}`,
    role: "auto" as const,
    ...(kind ? { kind } : {}),
  }));

describe("scheduleRoles: who should be a manager", () => {
  it.each<[string, Case, { target: number; managers: string[] }]>([
    [
      "explicit roles win",
      {
        guests: [
          { vmid: 1001, name: "mgr", role: "manager" },
          { vmid: 1002, name: "w1" },
          { vmid: 1003, name: "w2" },
        ],
      },
      { target: 1, managers: ["mgr"] },
    ],
    ["1 manager below 3 eligible guests", { guests: autos(2) }, { target: 1, managers: ["n1"] }],
    ["3 managers from 3 eligible guests", { guests: autos(3) }, { target: 3, managers: ["n1", "n2", "n3"] }],
    ["3 managers up to 6", { guests: autos(6) }, { target: 3, managers: ["n1", "n2", "n3"] }],
    ["5 managers from 7", { guests: autos(9) }, { target: 5, managers: ["n1", "n2", "n3", "n4", "n5"] }],
    [
      "a fixed count, topped up from auto guests",
      { guests: [{ vmid: 1001, name: "mgr", role: "manager" }, ...autos(4)], managers: 3 },
      { target: 3, managers: ["mgr", "n1", "n2"] },
    ],
    [
      "an even number of fixed managers made odd with an auto guest",
      {
        guests: [
          { vmid: 1001, name: "m1", role: "manager" },
          { vmid: 1002, name: "m2", role: "manager" },
          { vmid: 1003, name: "a1", role: "auto" },
        ],
      },
      { target: 3, managers: ["m1", "m2", "a1"] },
    ],
    [
      "auto prefers guests without a GPU, then VMs, then the lower vmid",
      {
        guests: [
          { vmid: 3001, name: "gpu-vm", role: "auto" },
          { vmid: 3002, name: "cpu-lxc", role: "auto", kind: "lxc" },
          { vmid: 3003, name: "cpu-vm-b", role: "auto" },
          { vmid: 3000, name: "gpu-vm-low", role: "auto" },
          { vmid: 3004, name: "cpu-vm-a", role: "auto" },
        ],
        agents: [
          agentOf("gpu-vm", { facts: gpuFacts("gpu-vm") }),
          agentOf("gpu-vm-low", { facts: gpuFacts("gpu-vm-low") }),
          agentOf("cpu-lxc"),
          agentOf("cpu-vm-b"),
          agentOf("cpu-vm-a"),
        ],
      },
      { target: 3, managers: ["cpu-lxc", "cpu-vm-b", "cpu-vm-a"] },
    ],
    [
      "auto keeps the reachable managers it has, GPU or not (no churn)",
      {
        guests: autos(3).concat(autos(1).map((g) => ({ ...g, vmid: 1999, name: "gpu" }))),
        agents: [
          agentOf("gpu", { nodeId: "g", facts: gpuFacts("gpu") }),
          agentOf("n1", { nodeId: "1" }),
          agentOf("n2", { nodeId: "2" }),
          agentOf("n3", { nodeId: "3" }),
        ],
        nodes: [
          nodeOf("g", "gpu", { role: "manager", leader: true, reachable: true }),
          nodeOf("1", "n1"),
          nodeOf("2", "n2", { role: "manager", reachable: true }),
          nodeOf("3", "n3", { role: "manager", reachable: true }),
        ],
      },
      { target: 3, managers: ["n2", "n3", "gpu"] },
    ],
    [
      "auto passes over guests that cannot take the role now",
      {
        guests: autos(3),
        agents: [agentOf("n1", { online: false }), agentOf("n2"), agentOf("n3")],
      },
      { target: 3, managers: ["n1", "n2", "n3"] },
    ],
    [
      "auto fills 1 seat with an online guest before an offline one",
      { guests: autos(2), agents: [agentOf("n1", { online: false }), agentOf("n2")] },
      { target: 1, managers: ["n2"] },
    ],
    [
      "guests outside the swarm are never managers",
      {
        guests: [
          { vmid: 1001, name: "mgr", role: "manager" },
          { vmid: 1002, name: "nas", role: "none" },
          ...autos(1),
        ],
      },
      { target: 1, managers: ["mgr"] },
    ],
  ])("%s", (_, c, expected) => {
    const got = schedule(c);
    expect({ target: got.target, managers: [...got.managers].sort() }).toEqual({
      ...expected,
      managers: [...expected.managers].sort(),
    });
  });

  it("is deterministic: the same input picks the same managers in the same order", () => {
    const c: Case = {
      guests: autos(7, "lxc").concat(autos(3).map((g, i) => ({ ...g, vmid: 4000 + i, name: `v${i}` }))),
    };
    const a = schedule(c);
    expect(schedule({ ...c, guests: [...c.guests].reverse() })).toEqual(a);
    expect(a.order).toEqual(["v0", "v1", "v2", "n1", "n2"]);
  });
});

describe("scheduleRoles: changes that keep the quorum", () => {
  const three = (
    roles: ["manager" | "worker" | "none", "manager" | "worker" | "none", "manager" | "worker" | "none"],
  ): GuestSpec[] => roles.map((role, i) => ({ vmid: 1001 + i, name: `g${i + 1}`, role }));
  const attached = (n: number) =>
    Array.from({ length: n }, (_, i) => agentOf(`g${i + 1}`, { nodeId: `id${i + 1}` }));

  it.each<[string, Case, { changes: string[]; held: string[] }]>([
    [
      "a converged swarm changes nothing",
      {
        guests: three(["manager", "worker", "worker"]),
        agents: attached(3),
        nodes: [
          nodeOf("id1", "g1", { role: "manager", leader: true, reachable: true }),
          nodeOf("id2", "g2"),
          nodeOf("id3", "g3"),
        ],
      },
      { changes: [], held: [] },
    ],
    [
      "moving the manager role: promote first, then demote",
      {
        guests: three(["worker", "manager", "worker"]),
        agents: attached(3),
        nodes: [
          nodeOf("id1", "g1", { role: "manager", leader: true, reachable: true }),
          nodeOf("id2", "g2"),
          nodeOf("id3", "g3"),
        ],
      },
      { changes: ["promote g2", "demote g1"], held: [] },
    ],
    [
      "never the last manager, and never promote a node that is down",
      {
        guests: three(["worker", "manager", "worker"]),
        agents: attached(3),
        nodes: [
          nodeOf("id1", "g1", { role: "manager", leader: true, reachable: true }),
          nodeOf("id2", "g2", { state: "down" }),
          nodeOf("id3", "g3"),
        ],
      },
      {
        changes: [],
        held: [
          "promote g2: node is down; promoting it would add a manager that cannot vote",
          "demote g1: it is the last manager",
        ],
      },
    ],
    [
      "no demotion that would leave too few reachable managers",
      {
        guests: [
          { vmid: 1001, name: "g1", role: "manager" },
          { vmid: 1002, name: "g2", role: "worker" },
          { vmid: 1003, name: "g3", role: "manager" },
          { vmid: 1004, name: "g4", role: "worker" },
          { vmid: 1005, name: "g5", role: "manager" },
        ],
        agents: attached(5),
        nodes: [
          nodeOf("id1", "g1", { role: "manager", leader: true, reachable: true }),
          nodeOf("id2", "g2", { role: "manager", reachable: true }),
          nodeOf("id3", "g3", { role: "manager", state: "down", reachable: false }),
          nodeOf("id4", "g4", { role: "manager", state: "down", reachable: false }),
          nodeOf("id5", "g5", { role: "manager", reachable: true }),
        ],
      },
      // the unreachable g4 goes first (4 left, 3 reachable: fine); then g2 would leave 3 with only 2 reachable: fine (2 of 3)
      { changes: ["demote g4", "demote g2"], held: [] },
    ],
    [
      "a demotion held while reachable managers would fall below a majority",
      {
        guests: [
          { vmid: 1001, name: "g1", role: "manager" },
          { vmid: 1002, name: "g2", role: "worker" },
          { vmid: 1003, name: "g3", role: "manager" },
          { vmid: 1004, name: "g4", role: "manager" },
        ],
        agents: attached(4),
        nodes: [
          nodeOf("id1", "g1", { role: "manager", leader: true, reachable: true }),
          nodeOf("id2", "g2", { role: "manager", reachable: true }),
          nodeOf("id3", "g3", { role: "manager", state: "down", reachable: false }),
          nodeOf("id4", "g4", { state: "down" }),
        ],
      },
      {
        changes: [],
        held: [
          "promote g4: node is down; promoting it would add a manager that cannot vote",
          "demote g2: only 1 of 2 remaining managers would be reachable; Raft needs 2",
        ],
      },
    ],
    [
      "the leader is demoted last",
      {
        guests: [
          { vmid: 1001, name: "g1", role: "worker" },
          { vmid: 1002, name: "g2", role: "worker" },
          { vmid: 1003, name: "g3", role: "manager" },
          { vmid: 1004, name: "g4", role: "auto" },
          { vmid: 1005, name: "g5", role: "auto" },
        ],
        managers: 3,
        agents: attached(5),
        nodes: [
          nodeOf("id1", "g1", { role: "manager", leader: true, reachable: true }),
          nodeOf("id2", "g2", { role: "manager", reachable: true }),
          nodeOf("id3", "g3", { role: "manager", reachable: true }),
          nodeOf("id4", "g4"),
          nodeOf("id5", "g5"),
        ],
      },
      { changes: ["promote g4", "promote g5", "demote g2", "demote g1"], held: [] },
    ],
    [
      "a manager whose role becomes none is demoted (it then leaves)",
      {
        guests: [
          ...three(["manager", "none", "worker"]),
          { vmid: 1004, name: "g4", role: "manager" },
          { vmid: 1005, name: "g5", role: "manager" },
        ],
        agents: attached(5),
        nodes: [
          nodeOf("id1", "g1", { role: "manager", leader: true, reachable: true }),
          nodeOf("id2", "g2", { role: "manager", reachable: true }),
          nodeOf("id3", "g3"),
          nodeOf("id4", "g4", { role: "manager", reachable: true }),
          nodeOf("id5", "g5", { role: "manager", reachable: true }),
        ],
        managers: 3,
      },
      { changes: ["demote g2"], held: [] },
    ],
  ])("%s", (_, c, expected) => {
    const got = schedule(c);
    expect({ changes: got.changes, held: got.held }).toEqual(expected);
  });
});
