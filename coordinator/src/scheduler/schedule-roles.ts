import { type Model, managerTarget, raftMajority } from "@phoenix/model";
import type { ObservedNode, ObservedState } from "../planner/observed-state";
import { type AdoptedGuest, type BoundGuest, bindFleet, fleetGuests } from "./fleet";

/** The role a guest should have: in the swarm as manager or worker, or not in it. */
export type DesiredRole = "manager" | "worker" | "none";

/** A role change of a node that is in the swarm now. */
export interface RoleChange {
  guest: string;
  nodeId: string;
  action: "promote" | "demote";
}

/** A change that is wanted but not safe (or not possible) now, and why. */
export interface HeldRoleChange extends RoleChange {
  reason: string;
}

/** Desired roles and the ordered, quorum-safe changes that get there. */
export interface RoleSchedule {
  /** Number of managers wanted among the fleet's guests. */
  managerTarget: number;
  /** Desired role of every fleet guest, by guest name. */
  roles: Map<string, DesiredRole>;
  /** Guests that should be managers, best first: the order to initialise the swarm on. */
  managerOrder: string[];
  /** Promotions first, then demotions, each alone (the executor runs them one at a time). */
  changes: RoleChange[];
  held: HeldRoleChange[];
}

function isReady(node: ObservedNode | undefined): boolean {
  return node?.state === "ready";
}

function isReachableManager(node: ObservedNode | undefined): boolean {
  return node?.role === "manager" && node.state === "ready" && node.reachable !== false;
}

/** Whether the guest can take a role now: its node is ready, or its agent is online to join. */
function isAvailable(b: BoundGuest): boolean {
  return isReady(b.node) || (b.observed?.online === true && !b.node);
}

function gpuRank(b: BoundGuest): number {
  const facts = b.observed?.facts;
  if (!facts) return 1;
  return facts.gpus.length > 0 ? 2 : 0;
}

/**
 * Orders `auto` guests for the manager seats: keep reachable managers (no churn), then guests
 * that can take the role now, then guests without GPUs (GPU nodes run the heavy work and
 * reboot for drivers), active before drained, VMs before LXCs, then by vmid and name.
 */
function compareCandidates(a: BoundGuest, b: BoundGuest): number {
  const keys = (x: BoundGuest): (number | string)[] => [
    isReachableManager(x.node) ? 0 : 1,
    isAvailable(x) ? 0 : 1,
    gpuRank(x),
    (x.node?.availability ?? x.guest.availability ?? "active") === "active" ? 0 : 1,
    x.guest.kind === "vm" ? 0 : x.guest.kind === "lxc" ? 1 : 2,
    x.guest.vmid ?? Number.MAX_SAFE_INTEGER,
    x.guest.name,
  ];
  const ka = keys(a);
  const kb = keys(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

/** Demote unreachable managers first, the leader last. */
function demotionRank(node: ObservedNode): number {
  if (!isReachableManager(node)) return 0;
  return node.leader ? 2 : 1;
}

/**
 * Desired roles over bound guests. Explicit roles win; `auto` guests fill the manager seats the
 * policy wants. Changes keep Raft safe: promotions come first; a demotion is only planned when
 * at least one manager remains and the reachable managers still hold a majority afterwards;
 * a node that is not ready is never promoted (it would add an unreachable vote).
 */
export function scheduleBoundRoles(
  bound: readonly BoundGuest[],
  observed: ObservedState,
  policy: number | "auto",
): RoleSchedule {
  const explicit = bound.filter((b) => b.guest.role === "manager");
  const autos = bound.filter((b) => b.guest.role === "auto");
  const target = managerTarget(policy, explicit.length, autos.length);

  const chosenAutos = [...autos].sort(compareCandidates).slice(0, Math.max(0, target - explicit.length));
  const managers = new Set([...explicit, ...chosenAutos].map((b) => b.guest.name));
  const roles = new Map<string, "manager" | "worker" | "none">();
  for (const b of bound)
    roles.set(
      b.guest.name,
      managers.has(b.guest.name) ? "manager" : b.guest.role === "none" ? "none" : "worker",
    );
  const managerOrder = [...explicit, ...chosenAutos].sort(compareCandidates).map((b) => b.guest.name);

  const changes: RoleChange[] = [];
  const held: HeldRoleChange[] = [];
  let count = 0;
  let reachable = 0;
  for (const n of observed.swarm.nodes) {
    if (n.role !== "manager") continue;
    count++;
    if (isReachableManager(n)) reachable++;
  }

  const promotions = bound.filter(
    (b) => b.node && b.node.role === "worker" && roles.get(b.guest.name) === "manager",
  );
  for (const b of promotions.sort(compareCandidates)) {
    const change: RoleChange = { guest: b.guest.name, nodeId: b.node!.id, action: "promote" };
    if (!isReady(b.node)) {
      held.push({
        ...change,
        reason: `node is ${b.node!.state}; promoting it would add a manager that cannot vote`,
      });
      continue;
    }
    changes.push(change);
    count++;
    reachable++;
  }

  const demotions = bound.filter((b) => b.node?.role === "manager" && roles.get(b.guest.name) !== "manager");
  demotions.sort(
    (a, b) => demotionRank(a.node!) - demotionRank(b.node!) || (a.guest.name < b.guest.name ? -1 : 1),
  );
  for (const b of demotions) {
    const change: RoleChange = { guest: b.guest.name, nodeId: b.node!.id, action: "demote" };
    const after = count - 1;
    const reachableAfter = reachable - (isReachableManager(b.node) ? 1 : 0);
    if (after < 1) {
      held.push({ ...change, reason: "it is the last manager" });
      continue;
    }
    if (reachableAfter < raftMajority(after)) {
      held.push({
        ...change,
        reason: `only ${reachableAfter} of ${after} remaining managers would be reachable; Raft needs ${raftMajority(after)}`,
      });
      continue;
    }
    changes.push(change);
    count = after;
    reachable = reachableAfter;
  }
  return { managerTarget: target, roles, managerOrder, changes, held };
}

/**
 * Desired roles of the model's guests (and adopted ones) against the observed swarm, with the
 * ordered, quorum-safe role changes. See {@link scheduleBoundRoles}.
 */
export function scheduleRoles(
  model: Model,
  observed: ObservedState,
  adopted: readonly AdoptedGuest[] = [],
): RoleSchedule {
  return scheduleBoundRoles(
    bindFleet(fleetGuests(model, adopted), observed),
    observed,
    model.cluster.swarm.managers,
  );
}
