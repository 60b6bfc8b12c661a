import { describe, expect, it } from "vitest";
import { noteText, planResponse, STEP_KIND, stepDependencies, stepTarget } from "./plan-view";
import type { PlanStep } from "./planner";

const g = (name: string, vmid?: number) => ({ name, hostname: name, ...(vmid ? { vmid } : {}) });
const steps: PlanStep[] = [
  { kind: "init-swarm", id: "init-swarm:m1", guest: g("m1", 101) },
  { kind: "join", id: "join:w1", guest: g("w1"), role: "worker" },
  { kind: "join", id: "join:m2", guest: g("m2"), role: "manager" },
  { kind: "promote", id: "promote:w9", guest: g("w9"), nodeId: "n9" },
  { kind: "demote", id: "demote:m3", guest: g("m3"), nodeId: "n3" },
  { kind: "labels", id: "labels:w1", guest: g("w1"), set: { gpu: "true" }, remove: [] },
  { kind: "availability", id: "availability:w1", guest: g("w1"), availability: "drain" },
  { kind: "create-network", id: "create-network:dev1", env: "dev1", network: "phoenix_dev1" },
  { kind: "remove-stack", id: "remove-stack:dev1/old", stack: "old", env: "dev1", namespace: "dev1_old" },
  {
    kind: "deploy-stack",
    id: "deploy-stack:dev1/web",
    stack: "web",
    env: "dev1",
    namespace: "dev1_web",
    specHash: "h",
    update: false,
  },
];

describe("plan view", () => {
  it("names every planner step kind as the protocol does", () => {
    expect(Object.values(STEP_KIND).sort()).toEqual(
      [
        "network.create",
        "node.availability",
        "node.demote",
        "node.labels",
        "node.promote",
        "node.remove",
        "stack.deploy",
        "stack.remove",
        "swarm.init",
        "swarm.join",
        "swarm.leave",
      ].sort(),
    );
  });

  it.each([
    [0, []],
    [1, ["init-swarm:m1"]],
    [2, ["init-swarm:m1"]],
    [3, ["init-swarm:m1", "join:m2"]],
    [4, ["init-swarm:m1", "promote:w9"]],
    [5, ["init-swarm:m1", "join:w1"]],
    [6, ["init-swarm:m1", "labels:w1"]],
    [7, ["init-swarm:m1", "availability:w1", "join:m2", "promote:w9", "demote:m3"]],
    [8, ["init-swarm:m1"]],
    [9, ["init-swarm:m1", "create-network:dev1", "remove-stack:dev1/old"]],
  ])("step %i depends on %j", (i, deps) => {
    expect(stepDependencies(steps)[i]).toEqual(deps);
  });

  it("lets a reconcile's guests go side by side, each guest's steps in order", () => {
    const reconcile: PlanStep[] = [
      { kind: "join", id: "join:a", guest: g("a"), role: "worker" },
      { kind: "join", id: "join:b", guest: g("b"), role: "worker" },
      { kind: "labels", id: "labels:b", guest: g("b"), set: {}, remove: ["gpu"] },
      { kind: "labels", id: "labels:a", guest: g("a"), set: { gpu: "true" }, remove: [] },
    ];
    expect(stepDependencies(reconcile)).toEqual([[], [], ["join:b"], ["join:a"]]);
  });

  it("makes a deploy wait for the node steps when there is no network to create", () => {
    const later: PlanStep[] = [
      { kind: "labels", id: "labels:w1", guest: g("w1"), set: { zone: "a" }, remove: [] },
      steps[9]!,
      { ...(steps[9] as Extract<PlanStep, { kind: "deploy-stack" }>), id: "deploy-stack:dev1/api" },
    ];
    expect(stepDependencies(later)).toEqual([[], ["labels:w1"], ["labels:w1"]]);
  });

  it.each([
    [0, "m1"],
    [7, "phoenix_dev1"],
    [8, "dev1_old"],
  ])("step %i acts on %s", (i, target) => expect(stepTarget(steps[i]!)).toBe(target));

  it("renders steps with descriptions, and notes as warnings", () => {
    const res = planResponse({
      steps: steps.slice(0, 2),
      notes: [{ guest: "w2", message: "not in the swarm: its agent is offline" }, { message: "no manager" }],
    });
    expect(res.steps?.map((s) => [s.id, s.kind, s.target, s.description])).toEqual([
      ["init-swarm:m1", "swarm.init", "m1", "initialise the swarm on m1 (vmid 101)"],
      ["join:w1", "swarm.join", "w1", "join w1 to the swarm as worker"],
    ]);
    expect(res.warnings).toEqual(["w2: not in the swarm: its agent is offline", "no manager"]);
    expect(noteText({ stack: "web", message: "x" })).toBe("web: x");
  });
});
