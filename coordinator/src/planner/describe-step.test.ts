import { expect, describe as group, it } from "vitest";
import { describe, describePlan } from "./describe-step";
import type { PlanStep } from "./plan-step";

const g = { name: "vllmqwen", vmid: 950, hostname: "vllmqwen" };

group("describe", () => {
  it.each<[PlanStep, string]>([
    [{ kind: "init-swarm", id: "a", guest: g }, "initialise the swarm on vllmqwen (vmid 950)"],
    [{ kind: "join", id: "a", guest: g, role: "worker" }, "join vllmqwen (vmid 950) to the swarm as worker"],
    [{ kind: "promote", id: "a", guest: g, nodeId: "n1" }, "promote vllmqwen (vmid 950) to manager"],
    [{ kind: "demote", id: "a", guest: g, nodeId: "n1" }, "demote vllmqwen (vmid 950) to worker"],
    [
      { kind: "leave", id: "a", guest: g, nodeId: "n1" },
      "vllmqwen (vmid 950) leaves the swarm (swarm_role none)",
    ],
    [
      { kind: "remove-node", id: "a", guest: g, nodeId: "old" },
      "remove stale node old of vllmqwen (vmid 950) (down)",
    ],
    [
      {
        kind: "labels",
        id: "a",
        guest: g,
        nodeId: "n1",
        set: { gpu: "true" },
        remove: ["phoenix.gpu.count"],
      },
      "label vllmqwen (vmid 950): set gpu=true; remove phoenix.gpu.count",
    ],
    [
      { kind: "labels", id: "a", guest: { name: "box", hostname: "box" }, set: { zone: "a" }, remove: [] },
      "label box once joined: set zone=a",
    ],
    [
      { kind: "availability", id: "a", guest: g, availability: "drain" },
      "set vllmqwen (vmid 950) availability to drain",
    ],
    [
      { kind: "create-network", id: "a", env: "dev1", network: "phoenix_env_dev1" },
      "create overlay network phoenix_env_dev1 for environment dev1",
    ],
    [
      {
        kind: "deploy-stack",
        id: "a",
        stack: "web",
        env: "test",
        namespace: "test_web",
        specHash: "h",
        update: true,
      },
      "update stack web in test as test_web (its spec changed)",
    ],
    [
      { kind: "remove-stack", id: "a", stack: "web", env: "test", namespace: "test_web" },
      "remove stack web from test (test_web)",
    ],
  ])("%j", (step, text) => {
    expect(describe(step)).toBe(text);
  });

  it("numbers the steps and adds the notes", () => {
    expect(
      describePlan({
        steps: [{ kind: "join", id: "a", guest: g, role: "manager" }],
        notes: [
          { guest: "nas", message: "not in the swarm: its agent is offline; it joins when it is back" },
          { message: "x" },
        ],
      }),
    ).toBe(
      [
        "  1. join vllmqwen (vmid 950) to the swarm as manager",
        "note: nas: not in the swarm: its agent is offline; it joins when it is back",
        "note: x",
      ].join("\n"),
    );
  });
});
