import {
  environmentNetworkName,
  type Model,
  type NodeAvailability,
  type Stack,
  stackNamespace,
  stackPinConstraint,
  stackSourceHash,
} from "@phoenix/model";
import type { ObservedState } from "../planner/observed-state";
import { desiredLabels } from "./desired-labels";
import { type AdoptedGuest, bindFleet, fleetGuests, indexNodes } from "./fleet";
import { type DesiredRole, type HeldRoleChange, type RoleChange, scheduleBoundRoles } from "./schedule-roles";

/** What one guest should look like. */
export interface DesiredGuest {
  name: string;
  vmid?: number;
  /** Hostname to find its node by: the agent's, else the guest name. */
  hostname: string;
  role: DesiredRole;
  /** Set only when the model pins availability. */
  availability?: NodeAvailability;
  /** Desired node labels; undefined while the guest's hardware is unknown (labels left alone). */
  labels?: Record<string, string>;
  adopted: boolean;
}

/** A stack that should run in an environment. */
export interface DesiredStack {
  stack: string;
  env: string;
  /** `<env>_<stack>`. */
  namespace: string;
  /** Hash of what the deployment is made of; a different observed hash means redeploy. */
  specHash: string;
  /** Constraint added to every service when guests pin the stack (docker_stacks). */
  pinConstraint?: string;
}

/** An environment network that should exist. */
export interface DesiredNetwork {
  env: string;
  name: string;
}

/** The whole desired state: roles, labels, networks and stacks. */
export interface DesiredState {
  cluster: string;
  managerTarget: number;
  guests: DesiredGuest[];
  /** Desired managers, best first (where to initialise the swarm). */
  managerOrder: string[];
  roleChanges: RoleChange[];
  heldRoleChanges: HeldRoleChange[];
  networks: DesiredNetwork[];
  stacks: DesiredStack[];
}

/** Options of {@link desiredState}. */
export interface DesiredStateOptions {
  /** Guests adopted by the cluster policy (from the state dir). */
  adopted?: readonly AdoptedGuest[];
  /** Deployments made with `phoenix swarm deploy` that sync keeps (from the state dir). */
  deployments?: readonly { stack: string; env: string }[];
  /** Hash of a deployment; defaults to the hash of the stack's files and environment settings. */
  stackHash?: (stack: Stack, env: string, pinConstraint: string | undefined) => string;
}

function compareStacks(a: { env: string; stack: string }, b: { env: string; stack: string }): number {
  if (a.env !== b.env) return a.env < b.env ? -1 : 1;
  return a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0;
}

/**
 * Computes the desired state of the fleet from the model and what was observed: each guest's
 * role and labels, the role changes that are safe now, and the stacks and environment networks
 * that should exist. Stacks named in a guest's docker_stacks run in every environment their
 * phoenix.json defines (and the cluster lists), pinned by `phoenix.stack.<stack>=true`.
 */
export function desiredState(
  model: Model,
  observed: ObservedState,
  opts: DesiredStateOptions = {},
): DesiredState {
  const fleet = fleetGuests(model, opts.adopted);
  const bound = bindFleet(fleet, observed, indexNodes(observed.swarm.nodes));
  const schedule = scheduleBoundRoles(bound, observed, model.cluster.swarm.managers);

  const guests: DesiredGuest[] = bound.map(({ guest, observed: agent, node }) => {
    const role = schedule.roles.get(guest.name)!;
    const labels = role === "none" ? undefined : desiredLabels(guest, agent?.facts, model, node?.labels);
    return {
      name: guest.name,
      ...(guest.vmid !== undefined ? { vmid: guest.vmid } : {}),
      hostname: agent?.hostname ?? guest.name,
      role,
      ...(guest.availability ? { availability: guest.availability } : {}),
      ...(labels ? { labels } : {}),
      adopted: guest.adopted,
    };
  });

  const pinned = new Set<string>();
  for (const g of fleet) if (g.role !== "none") for (const s of g.dockerStacks) pinned.add(s);
  const wanted = new Map<string, { stack: string; env: string }>();
  const environments = new Set(model.cluster.environments);
  for (const name of pinned) {
    const stack = model.stacks[name];
    if (!stack) continue;
    for (const env of Object.keys(stack.environments))
      if (environments.has(env)) wanted.set(`${env}/${name}`, { stack: name, env });
  }
  for (const d of opts.deployments ?? [])
    if (model.stacks[d.stack] && environments.has(d.env))
      wanted.set(`${d.env}/${d.stack}`, { stack: d.stack, env: d.env });

  const hash = opts.stackHash ?? ((stack, env, pin) => stackSourceHash(stack, env, pin ?? ""));
  const stacks: DesiredStack[] = [...wanted.values()].sort(compareStacks).map(({ stack, env }) => {
    const pinConstraint = pinned.has(stack) ? stackPinConstraint(stack) : undefined;
    return {
      stack,
      env,
      namespace: stackNamespace(env, stack),
      specHash: hash(model.stacks[stack]!, env, pinConstraint),
      ...(pinConstraint ? { pinConstraint } : {}),
    };
  });
  const used = new Set(stacks.map((s) => s.env));
  const networks = model.cluster.environments
    .filter((env) => used.has(env))
    .map((env) => ({ env, name: environmentNetworkName(env) }));

  return {
    cluster: model.cluster.name,
    managerTarget: schedule.managerTarget,
    guests,
    managerOrder: schedule.managerOrder,
    roleChanges: schedule.changes,
    heldRoleChanges: schedule.held,
    networks,
    stacks,
  };
}
