import type { NodeAvailability } from "@phoenix/model";

/** The guest a step is about, as the executor finds it (agent by name, node by id or hostname). */
export interface GuestRef {
  name: string;
  vmid?: number;
  hostname: string;
}

/** Initialise the swarm on a guest (`docker swarm init`), which becomes its first manager. */
export interface InitSwarmStep {
  kind: "init-swarm";
  id: string;
  guest: GuestRef;
}

/** Join a guest's engine to the swarm with a role (the executor fetches the join token). */
export interface JoinStep {
  kind: "join";
  id: string;
  guest: GuestRef;
  role: "manager" | "worker";
}

/** Promote or demote a node; run through a healthy manager, one at a time. */
export interface RoleStep {
  kind: "promote" | "demote";
  id: string;
  guest: GuestRef;
  nodeId: string;
}

/** A guest whose swarm_role is none leaves the swarm; a manager then removes its node entry. */
export interface LeaveStep {
  kind: "leave";
  id: string;
  guest: GuestRef;
  nodeId: string;
}

/** Remove a stale node entry (down, same hostname as the guest's live node). */
export interface RemoveNodeStep {
  kind: "remove-node";
  id: string;
  guest: GuestRef;
  nodeId: string;
}

/** Set and remove node labels in one node update. `nodeId` is absent when the guest joins earlier in this plan. */
export interface LabelsStep {
  kind: "labels";
  id: string;
  guest: GuestRef;
  nodeId?: string;
  set: Record<string, string>;
  remove: string[];
}

/** Set a node's availability. `nodeId` is absent when the guest joins earlier in this plan. */
export interface AvailabilityStep {
  kind: "availability";
  id: string;
  guest: GuestRef;
  nodeId?: string;
  availability: NodeAvailability;
}

/** Create an environment's overlay network. */
export interface CreateNetworkStep {
  kind: "create-network";
  id: string;
  env: string;
  network: string;
}

/** Deploy (create or update) a stack in an environment. */
export interface DeployStackStep {
  kind: "deploy-stack";
  id: string;
  stack: string;
  env: string;
  namespace: string;
  /** Record this with the deployment: the next plan compares it. */
  specHash: string;
  pinConstraint?: string;
  /** True when the stack runs with other specs now; false when it is new. */
  update: boolean;
  /**
   * Set when the specs are the ones deployed but the swarm no longer runs them (a service removed
   * or scaled by hand): what differs, one line each.
   */
  drift?: string[];
}

/** Remove a stack Phoenix deployed and nothing wants any more. */
export interface RemoveStackStep {
  kind: "remove-stack";
  id: string;
  stack: string;
  env: string;
  namespace: string;
}

/** One step of a plan. `id` is stable across plans of the same change (usable as an idempotency key). */
export type PlanStep =
  | InitSwarmStep
  | JoinStep
  | RoleStep
  | LeaveStep
  | RemoveNodeStep
  | LabelsStep
  | AvailabilityStep
  | CreateNetworkStep
  | DeployStackStep
  | RemoveStackStep;

/** Something the plan cannot do now, and why (an offline guest, a demotion that would break quorum). */
export interface PlanNote {
  guest?: string;
  stack?: string;
  message: string;
}

/** Ordered steps (init, joins, promotions, demotions, leaves, labels, availability, networks, stacks) and notes. */
export interface Plan {
  steps: PlanStep[];
  notes: PlanNote[];
}
