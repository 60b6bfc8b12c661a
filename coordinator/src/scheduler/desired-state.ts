import {
  environmentNetworkName,
  type Model,
  type NodeAvailability,
  type Stack,
  stackNamespace,
  stackPinConstraint,
  stackSourceHash,
} from "@phoenix/model";
import { RENDER_REVISION } from "@phoenix/stacks";
import type { ObservedState } from "../planner/observed-state";
import { desiredLabels } from "./desired-labels";
import { type AdoptedGuest, bindFleet, type FleetGuest, fleetGuests, indexNodes } from "./fleet";
import { type DesiredRole, type HeldRoleChange, type RoleChange, scheduleBoundRoles } from "./schedule-roles";

/**
 * The hash a deployment of a stack in an environment is planned by: the stack's sources
 * (stackSourceHash), its pin constraint, and the revision of Phoenix's rendering rules, so a
 * Phoenix update that renders the same files differently redeploys each stack once.
 */
export function deploymentSourceHash(stack: Stack, env: string, pin?: string): string {
  return stackSourceHash(stack, env, `render ${RENDER_REVISION}\0${pin ?? ""}`);
}

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
  /** Hash of a deployment; defaults to the hash of the stack's files and environment settings. */
  stackHash?: (stack: Stack, env: string, pinConstraint: string | undefined) => string;
}

function compareStacks(a: { env: string; stack: string }, b: { env: string; stack: string }): number {
  if (a.env !== b.env) return a.env < b.env ? -1 : 1;
  return a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0;
}

/** Stacks pinned by a guest that is in the swarm (its docker_stacks). */
function pinnedStacks(fleet: readonly FleetGuest[]): Set<string> {
  const pinned = new Set<string>();
  for (const g of fleet) if (g.role !== "none") for (const s of g.dockerStacks) pinned.add(s);
  return pinned;
}

/** True when the model can render the stack in the environment (what a deploy needs). */
function renderable(model: Model, stack: string, env: string): boolean {
  const s = model.stacks[stack];
  return s !== undefined && model.cluster.environments.includes(env) && env in s.environments;
}

/** Each pinned stack in every environment its phoenix.json defines and the cluster lists. */
function environmentsOf(model: Model, pinned: ReadonlySet<string>): { stack: string; env: string }[] {
  const out: { stack: string; env: string }[] = [];
  for (const stack of pinned) {
    const s = model.stacks[stack];
    if (!s) continue;
    for (const env of model.cluster.environments) if (env in s.environments) out.push({ stack, env });
  }
  return out;
}

/**
 * The stack environments the model declares: every stack a guest in the swarm pins through
 * docker_stacks, in every environment its phoenix.json defines and the cluster lists. These are
 * what sync deploys, and removes once the model stops declaring them.
 */
export function modelEnvironments(model: Model): { stack: string; env: string }[] {
  return environmentsOf(model, pinnedStacks(fleetGuests(model))).sort(compareStacks);
}

/**
 * Computes the desired state of the fleet from the model and what was observed: each guest's
 * role and labels, the role changes that are safe now, and the stacks and environment networks
 * that should exist. Stacks named in a guest's docker_stacks run in every environment their
 * phoenix.json defines (and the cluster lists), pinned by `phoenix.stack.<stack>=true`. The
 * environments an operator deployed (observed stacks with source `deploy`) stay desired whatever
 * the model pins, so sync redeploys them when their files change, as long as the model can still
 * render them (stack, cluster environment and phoenix.json environment all there).
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

  const pinned = pinnedStacks(fleet);
  const wanted = new Map<string, { stack: string; env: string }>();
  for (const e of environmentsOf(model, pinned)) wanted.set(`${e.env}/${e.stack}`, e);
  for (const d of observed.stacks)
    if (d.source === "deploy" && renderable(model, d.stack, d.env))
      wanted.set(`${d.env}/${d.stack}`, { stack: d.stack, env: d.env });

  const hash = opts.stackHash ?? deploymentSourceHash;
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
