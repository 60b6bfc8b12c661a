import type { DesiredGuest, DesiredState } from "../scheduler/desired-state";
import { type Bound, bindFleet, indexNodes } from "../scheduler/fleet";
import { labelChanges } from "../scheduler/label-ownership";
import type { ObservedState } from "./observed-state";
import type { GuestRef, Plan, PlanNote, PlanStep } from "./plan-step";

type BoundDesired = Bound<DesiredGuest>;

function refOf(b: BoundDesired): GuestRef {
  return {
    name: b.guest.name,
    ...(b.guest.vmid !== undefined ? { vmid: b.guest.vmid } : {}),
    hostname: b.observed?.hostname ?? b.guest.hostname,
  };
}

function inForeignSwarm(b: BoundDesired, observed: ObservedState): boolean {
  const theirs = b.observed?.swarm.clusterId;
  return (
    theirs !== undefined && observed.swarm.clusterId !== undefined && theirs !== observed.swarm.clusterId
  );
}

/** Why a guest that should be in the swarm cannot join now, or undefined when it can. */
function joinBlocker(b: BoundDesired, observed: ObservedState): string | undefined {
  const agent = b.observed;
  if (!agent) return "its agent has not connected yet; it joins when it does";
  if (!agent.online) return "its agent is offline; it joins when it is back";
  switch (agent.swarm.state) {
    case "inactive":
      return undefined;
    case "pending":
      return "its engine is joining the swarm right now";
    case "locked":
      return "its engine's swarm is locked (autolock): unlock it first";
    case "error":
      return "its engine reports a swarm error: see `docker info` on it";
    default:
      return inForeignSwarm(b, observed)
        ? `it is a member of another swarm (cluster ${agent.swarm.clusterId})`
        : "its engine says it is in a swarm the managers do not list";
  }
}

function stepsForSwarm(
  bound: readonly BoundDesired[],
  desired: DesiredState,
  observed: ObservedState,
  steps: PlanStep[],
  notes: PlanNote[],
): Set<string> | undefined {
  const joining = new Set<string>();
  const rank = new Map(desired.managerOrder.map((name, i) => [name, i]));
  const members = bound.filter((b) => b.guest.role !== "none");

  if (!observed.swarm.initialized) {
    const inSwarm = observed.guests.filter((g) => g.swarm.state !== "inactive" && g.swarm.state !== "error");
    if (inSwarm.length > 0) {
      notes.push({
        message: `a swarm exists (${inSwarm.map((g) => g.name).join(", ")} report membership) but no manager could be read; nothing is planned until a manager's agent answers`,
      });
      return undefined;
    }
    const first = members
      .filter(
        (b) => b.guest.role === "manager" && b.observed?.online && b.observed.swarm.state === "inactive",
      )
      .sort((a, b) => (rank.get(a.guest.name) ?? 0) - (rank.get(b.guest.name) ?? 0))[0];
    if (!first) {
      notes.push({ message: "the swarm is not initialised and no guest that should be a manager is online" });
      return undefined;
    }
    steps.push({ kind: "init-swarm", id: `init-swarm:${first.guest.name}`, guest: refOf(first) });
    joining.add(first.guest.name);
  }

  const joins: BoundDesired[] = [];
  for (const b of members) {
    if (b.node || joining.has(b.guest.name)) continue;
    const blocker = joinBlocker(b, observed);
    if (blocker) notes.push({ guest: b.guest.name, message: `not in the swarm: ${blocker}` });
    else joins.push(b);
  }
  joins.sort((a, b) => {
    const ra = a.guest.role === "manager" ? (rank.get(a.guest.name) ?? 0) : Number.MAX_SAFE_INTEGER;
    const rb = b.guest.role === "manager" ? (rank.get(b.guest.name) ?? 0) : Number.MAX_SAFE_INTEGER;
    return ra - rb || (a.guest.name < b.guest.name ? -1 : a.guest.name > b.guest.name ? 1 : 0);
  });
  for (const b of joins) {
    steps.push({
      kind: "join",
      id: `join:${b.guest.name}`,
      guest: refOf(b),
      role: b.guest.role as "manager" | "worker",
    });
    joining.add(b.guest.name);
  }
  return joining;
}

function stepsForRoles(
  bound: readonly BoundDesired[],
  desired: DesiredState,
  steps: PlanStep[],
  notes: PlanNote[],
): void {
  const byName = new Map(bound.map((b) => [b.guest.name, b]));
  const demoted = new Set<string>();
  for (const c of desired.roleChanges) {
    const b = byName.get(c.guest);
    if (!b) continue;
    steps.push({ kind: c.action, id: `${c.action}:${c.guest}`, guest: refOf(b), nodeId: c.nodeId });
    if (c.action === "demote") demoted.add(c.guest);
  }
  for (const h of desired.heldRoleChanges)
    notes.push({ guest: h.guest, message: `${h.action} held: ${h.reason}` });

  for (const b of bound) {
    if (b.guest.role !== "none" || !b.node) continue;
    if (b.node.role === "manager" && !demoted.has(b.guest.name)) {
      notes.push({
        guest: b.guest.name,
        message: "should leave the swarm (swarm_role none) but is a manager that cannot be demoted now",
      });
      continue;
    }
    if (!b.observed?.online || b.observed.swarm.state !== "active") {
      notes.push({
        guest: b.guest.name,
        message: "should leave the swarm (swarm_role none) but its agent is offline",
      });
      continue;
    }
    steps.push({ kind: "leave", id: `leave:${b.guest.name}`, guest: refOf(b), nodeId: b.node.id });
  }
}

function stepsForNodes(
  bound: readonly BoundDesired[],
  observed: ObservedState,
  joining: ReadonlySet<string>,
  steps: PlanStep[],
  notes: PlanNote[],
): void {
  const nodes = indexNodes(observed.swarm.nodes);
  for (const b of bound) {
    if (b.guest.role === "none") continue;
    const node = b.node;
    if (node?.state === "ready") {
      for (const stale of nodes.byHostname.get(node.hostname.toLowerCase()) ?? []) {
        if (stale.id === node.id || stale.state !== "down") continue;
        if (stale.role === "manager")
          notes.push({
            guest: b.guest.name,
            message: `stale manager node ${stale.id} (down) shares its hostname: demote and remove it by hand`,
          });
        else
          steps.push({
            kind: "remove-node",
            id: `remove-node:${stale.id}`,
            guest: refOf(b),
            nodeId: stale.id,
          });
      }
    }
    if (!node && !joining.has(b.guest.name)) continue;
    if (b.guest.labels) {
      const changes = labelChanges(b.guest.labels, node?.labels ?? {});
      if (changes)
        steps.push({
          kind: "labels",
          id: `labels:${b.guest.name}`,
          guest: refOf(b),
          ...(node ? { nodeId: node.id } : {}),
          ...changes,
        });
    } else if (b.observed?.online) {
      notes.push({ guest: b.guest.name, message: "no inventory yet: labels are left as they are" });
    }
    const availability = b.guest.availability;
    if (availability && availability !== (node?.availability ?? "active"))
      steps.push({
        kind: "availability",
        id: `availability:${b.guest.name}`,
        guest: refOf(b),
        ...(node ? { nodeId: node.id } : {}),
        availability,
      });
  }
}

function stepsForStacks(
  desired: DesiredState,
  observed: ObservedState,
  steps: PlanStep[],
  notes: PlanNote[],
): void {
  const networks = new Set(observed.networks);
  for (const n of desired.networks)
    if (!networks.has(n.name))
      steps.push({ kind: "create-network", id: `create-network:${n.env}`, env: n.env, network: n.name });

  const wanted = new Map(desired.stacks.map((s) => [`${s.env}/${s.stack}`, s]));
  const deployed = new Map(observed.stacks.map((s) => [`${s.env}/${s.stack}`, s]));
  const unwanted = observed.stacks
    .filter((s) => !wanted.has(`${s.env}/${s.stack}`))
    .sort((a, b) => (a.env !== b.env ? (a.env < b.env ? -1 : 1) : a.stack < b.stack ? -1 : 1));
  // An operator's deployment the model can no longer render stays as it runs, and the plan says so.
  for (const s of unwanted.filter((u) => u.source === "deploy"))
    notes.push({
      stack: `${s.env}_${s.stack}`,
      message: `deployed with \`phoenix swarm deploy\`, but the model no longer defines stack ${s.stack} in ${s.env}: it keeps running as deployed until \`phoenix swarm rm ${s.stack} --env ${s.env}\``,
    });
  for (const s of unwanted.filter((u) => u.source !== "deploy"))
    steps.push({
      kind: "remove-stack",
      id: `remove-stack:${s.env}/${s.stack}`,
      stack: s.stack,
      env: s.env,
      namespace: `${s.env}_${s.stack}`,
    });
  for (const s of desired.stacks) {
    const current = deployed.get(`${s.env}/${s.stack}`);
    const drift = current?.specHash === s.specHash ? current.differences : undefined;
    if (current && current.specHash === s.specHash && !drift?.length) continue;
    steps.push({
      kind: "deploy-stack",
      id: `deploy-stack:${s.env}/${s.stack}`,
      stack: s.stack,
      env: s.env,
      namespace: s.namespace,
      specHash: s.specHash,
      ...(s.pinConstraint ? { pinConstraint: s.pinConstraint } : {}),
      update: current !== undefined,
      ...(drift?.length ? { drift } : {}),
    });
  }
}

/**
 * The ordered steps that take the observed fleet to the desired state: init the swarm, joins
 * (managers first), promotions, demotions, leaves, stale nodes, labels, availability, environment
 * networks, stack removals, stack deploys. Pure; a converged fleet plans nothing. What cannot be
 * done now (an offline guest, a demotion that would break quorum) is listed as a note instead.
 */
export function plan(desired: DesiredState, observed: ObservedState): Plan {
  const steps: PlanStep[] = [];
  const notes: PlanNote[] = [];
  const bound = bindFleet(desired.guests, observed);
  const joining = stepsForSwarm(bound, desired, observed, steps, notes);
  if (!joining) return { steps, notes };
  stepsForRoles(bound, desired, steps, notes);
  stepsForNodes(bound, observed, joining, steps, notes);
  stepsForStacks(desired, observed, steps, notes);

  const clusterWide = steps.some((s) => s.kind !== "init-swarm" && s.kind !== "join" && s.kind !== "leave");
  const managerOnline =
    steps[0]?.kind === "init-swarm" || bound.some((b) => b.node?.role === "manager" && b.observed?.online);
  if (clusterWide && !managerOnline)
    notes.push({ message: "no manager's agent is online: cluster-wide steps wait for one" });
  return { steps, notes };
}
