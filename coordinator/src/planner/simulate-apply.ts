import type { ObservedNode, ObservedState } from "./observed-state";
import type { Plan } from "./plan-step";

/**
 * Applies a plan to an observed state the way a successful executor would change the fleet.
 * Pure and for tests only: it checks that planning what a plan leaves behind plans nothing.
 */
export function simulateApply(before: ObservedState, plan: Plan): ObservedState {
  const state: ObservedState = structuredClone(before);
  const nodes = state.swarm.nodes;
  const agent = (name: string) => state.guests.find((g) => g.name === name)!;
  const nodeOfStep = (s: { nodeId?: string; guest: { name: string } }): ObservedNode => {
    const id = s.nodeId ?? agent(s.guest.name).swarm.nodeId;
    return nodes.find((n) => n.id === id)!;
  };
  const join = (name: string, role: "manager" | "worker") => {
    const a = agent(name);
    const id = `node-${name}`;
    nodes.push({
      id,
      hostname: a.hostname,
      role,
      availability: "active",
      state: "ready",
      labels: {},
      ...(role === "manager" ? { reachable: true, leader: nodes.length === 0 } : {}),
    });
    a.swarm = {
      state: "active",
      nodeId: id,
      ...(role === "manager" ? { clusterId: state.swarm.clusterId ?? "c1" } : {}),
    };
  };

  for (const step of plan.steps) {
    switch (step.kind) {
      case "init-swarm":
        state.swarm.initialized = true;
        state.swarm.clusterId = "c1";
        join(step.guest.name, "manager");
        break;
      case "join":
        join(step.guest.name, step.role);
        break;
      case "promote":
      case "demote": {
        const n = nodeOfStep(step);
        n.role = step.kind === "promote" ? "manager" : "worker";
        if (step.kind === "promote") n.reachable = true;
        else {
          delete n.reachable;
          delete n.leader;
        }
        break;
      }
      case "leave":
        nodes.splice(
          nodes.findIndex((n) => n.id === step.nodeId),
          1,
        );
        agent(step.guest.name).swarm = { state: "inactive" };
        break;
      case "remove-node":
        nodes.splice(
          nodes.findIndex((n) => n.id === step.nodeId),
          1,
        );
        break;
      case "labels": {
        const n = nodeOfStep(step);
        const labels = { ...n.labels, ...step.set };
        for (const k of step.remove) delete labels[k];
        n.labels = labels;
        break;
      }
      case "availability":
        nodeOfStep(step).availability = step.availability;
        break;
      case "create-network":
        state.networks.push(step.network);
        break;
      case "deploy-stack": {
        // A sync's deploy keeps the source the environment has; a new one is the model's.
        const before = state.stacks.find((s) => s.stack === step.stack && s.env === step.env);
        state.stacks = state.stacks.filter((s) => s !== before);
        state.stacks.push({
          stack: step.stack,
          env: step.env,
          specHash: step.specHash,
          source: before?.source ?? "model",
        });
        break;
      }
      case "remove-stack":
        state.stacks = state.stacks.filter((s) => !(s.stack === step.stack && s.env === step.env));
        break;
    }
  }
  return state;
}
