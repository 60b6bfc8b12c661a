import type { GuestRef, Plan, PlanStep } from "./plan-step";

function who(g: GuestRef): string {
  return g.vmid !== undefined ? `${g.name} (vmid ${g.vmid})` : g.name;
}

function listLabels(set: Record<string, string>, remove: readonly string[]): string {
  const parts: string[] = [];
  const setList = Object.entries(set).map(([k, v]) => `${k}=${v}`);
  if (setList.length > 0) parts.push(`set ${setList.join(", ")}`);
  if (remove.length > 0) parts.push(`remove ${remove.join(", ")}`);
  return parts.join("; ");
}

/** One line a person reads in `phoenix plan`: what the step does and to what. */
export function describe(step: PlanStep): string {
  switch (step.kind) {
    case "init-swarm":
      return `initialise the swarm on ${who(step.guest)}`;
    case "join":
      return `join ${who(step.guest)} to the swarm as ${step.role}`;
    case "promote":
      return `promote ${who(step.guest)} to manager`;
    case "demote":
      return `demote ${who(step.guest)} to worker`;
    case "leave":
      return `${who(step.guest)} leaves the swarm (swarm_role none)`;
    case "remove-node":
      return `remove stale node ${step.nodeId} of ${who(step.guest)} (down)`;
    case "labels":
      return `label ${who(step.guest)}${step.nodeId ? "" : " once joined"}: ${listLabels(step.set, step.remove)}`;
    case "availability":
      return `set ${who(step.guest)} availability to ${step.availability}`;
    case "create-network":
      return `create overlay network ${step.network} for environment ${step.env}`;
    case "deploy-stack":
      return `${step.update ? "update" : "deploy"} stack ${step.stack} in ${step.env} as ${step.namespace}${deployReason(step)}`;
    case "remove-stack":
      return `remove stack ${step.stack} from ${step.env} (${step.namespace})`;
  }
}

/** The whole plan as text: numbered steps, then notes; says so when there is nothing to do. */
export function describePlan(plan: Plan): string {
  const lines =
    plan.steps.length === 0
      ? ["Nothing to do: the fleet matches the model."]
      : plan.steps.map((s, i) => `${String(i + 1).padStart(3)}. ${describe(s)}`);
  for (const n of plan.notes) lines.push(`note: ${n.guest ? `${n.guest}: ` : ""}${n.message}`);
  return lines.join("\n");
}

/** Why a stack is deployed again: its spec changed, or the swarm no longer runs what was deployed. */
function deployReason(step: Extract<PlanStep, { kind: "deploy-stack" }>): string {
  if (step.drift?.length) {
    const more = step.drift.length > 3 ? `, and ${step.drift.length - 3} more` : "";
    return ` (the swarm differs: ${step.drift.slice(0, 3).join("; ")}${more})`;
  }
  return step.update ? " (its spec changed)" : "";
}
