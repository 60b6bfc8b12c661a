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
 * What each step needs done before it: the swarm's init for everything after it; a guest's join
 * for its role, label and availability steps; role changes one after another; an environment's
 * network and every label step (pins) for a deploy.
 */
export function stepDependencies(steps: readonly PlanStep[]): string[][] {
  let init: string | undefined;
  let lastRole: string | undefined;
  const joins = new Map<string, string>();
  const networks = new Map<string, string>();
  const labels: string[] = [];
  return steps.map((step) => {
    const deps: string[] = [];
    const add = (id: string | undefined) => {
      if (id && !deps.includes(id)) deps.push(id);
    };
    if (step.kind !== "init-swarm") add(init);
    switch (step.kind) {
      case "init-swarm":
        init = step.id;
        joins.set(step.guest.name, step.id);
        break;
      case "join":
        joins.set(step.guest.name, step.id);
        break;
      case "promote":
      case "demote":
        add(joins.get(step.guest.name));
        add(lastRole);
        lastRole = step.id;
        break;
      case "leave":
        add(lastRole);
        break;
      case "labels":
        add(joins.get(step.guest.name));
        labels.push(step.id);
        break;
      case "availability":
      case "remove-node":
        add(joins.get(step.guest.name));
        break;
      case "create-network":
        networks.set(step.env, step.id);
        break;
      case "deploy-stack":
        add(networks.get(step.env));
        for (const id of labels) add(id);
        break;
      case "remove-stack":
        break;
    }
    return deps;
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
