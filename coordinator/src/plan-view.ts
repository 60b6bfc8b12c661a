import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PlanResponseSchema, PlanStepSchema } from "@phoenix/proto";
import { describe, type Plan, type PlanNote, type PlanStep } from "./planner";

type StepInit = MessageInitShape<typeof PlanStepSchema>;

/** The protocol's kind of each planner step (cluster.proto PlanStep.kind). */
export const STEP_KIND: Record<PlanStep["kind"], string> = {
  "init-swarm": "swarm.init",
  join: "swarm.join",
  promote: "node.promote",
  demote: "node.demote",
  leave: "swarm.leave",
  "remove-node": "node.remove",
  labels: "node.labels",
  availability: "node.availability",
  "create-network": "network.create",
  "deploy-stack": "stack.deploy",
  "remove-stack": "stack.remove",
};

/** The guest name, stack namespace or network a step acts on. */
export function stepTarget(step: PlanStep): string {
  if ("guest" in step) return step.guest.name;
  if (step.kind === "create-network") return step.network;
  return step.namespace;
}

/**
 * What each step needs done before it, as ids of earlier steps; steps that need nothing of each
 * other may run at the same time. The swarm's init comes before everything. The steps about one
 * guest run in plan order (join, role, labels, availability), and changes to the manager set
 * (manager joins, promotions, demotions) one at a time. Environment networks wait for every node
 * step, so a deploy finds the labels its placement needs; deploys wait for every network (a stack
 * may join another environment's network, as Traefik does) and every removal (which may free a
 * port or name), and otherwise run side by side. Removals need only the swarm.
 */
export function stepDependencies(steps: readonly PlanStep[]): string[][] {
  let init: string | undefined;
  let lastQuorum: string | undefined;
  const lastOfGuest = new Map<string, string>();
  const networks: string[] = [];
  const removals: string[] = [];
  return steps.map((step) => {
    const deps = new Set<string>();
    const add = (id: string | undefined) => {
      if (id) deps.add(id);
    };
    if (step.kind !== "init-swarm") add(init);
    if ("guest" in step) {
      add(lastOfGuest.get(step.guest.name));
      lastOfGuest.set(step.guest.name, step.id);
      const quorum =
        step.kind === "promote" ||
        step.kind === "demote" ||
        (step.kind === "join" && step.role === "manager");
      if (quorum) {
        add(lastQuorum);
        lastQuorum = step.id;
      }
      if (step.kind === "init-swarm") init = step.id;
      return [...deps];
    }
    switch (step.kind) {
      case "create-network":
        for (const id of lastOfGuest.values()) add(id);
        networks.push(step.id);
        break;
      case "remove-stack":
        removals.push(step.id);
        break;
      case "deploy-stack":
        if (networks.length === 0) for (const id of lastOfGuest.values()) add(id);
        for (const id of networks) add(id);
        for (const id of removals) add(id);
        break;
    }
    return [...deps];
  });
}

/** A plan note as one warning line. */
export function noteText(n: PlanNote): string {
  const who = n.guest ?? n.stack;
  return who ? `${who}: ${n.message}` : n.message;
}

/** The protocol form of a plan: steps with kind, description, target and dependencies; notes as warnings. */
export function planResponse(plan: Plan): MessageInitShape<typeof PlanResponseSchema> {
  const deps = stepDependencies(plan.steps);
  const steps: StepInit[] = plan.steps.map((s, i) => ({
    id: s.id,
    kind: STEP_KIND[s.kind],
    description: describe(s),
    target: stepTarget(s),
    dependsOn: deps[i] ?? [],
  }));
  return { steps, warnings: plan.notes.map(noteText) };
}
