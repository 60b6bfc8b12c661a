import type { GuestKind, Label, Model, NodeAvailability, SwarmRole } from "@phoenix/model";
import type { ObservedGuest, ObservedNode, ObservedState } from "../planner/observed-state";

/** A guest the model does not list but which the adopt policy took in (kept in the state dir). */
export interface AdoptedGuest {
  name: string;
  hostname?: string;
  vmid?: number;
  role: "worker" | "auto";
}

/** A guest Phoenix manages: from the model, or adopted. */
export interface FleetGuest {
  /** Unique name: the model's guest name, or the adopted name. */
  name: string;
  vmid?: number;
  kind?: GuestKind;
  role: SwarmRole;
  availability?: NodeAvailability;
  nodeLabels: readonly Label[];
  dockerStacks: readonly string[];
  adopted: boolean;
}

/** A guest with what was observed of it: its agent and its swarm node, when there are. */
export interface Bound<G> {
  guest: G;
  observed?: ObservedGuest;
  node?: ObservedNode;
}

/** A fleet guest with its agent and node. */
export type BoundGuest = Bound<FleetGuest>;

/** The model's guests (VMs, then LXCs) followed by adopted ones the model does not also list. */
export function fleetGuests(
  model: Pick<Model, "guests">,
  adopted: readonly AdoptedGuest[] = [],
): FleetGuest[] {
  const fleet: FleetGuest[] = model.guests.map((g) => ({
    name: g.name,
    vmid: g.vmid,
    kind: g.kind,
    role: g.swarmRole,
    ...(g.swarmAvailability ? { availability: g.swarmAvailability } : {}),
    nodeLabels: g.nodeLabels,
    dockerStacks: g.dockerStacks,
    adopted: false,
  }));
  const taken = new Set(fleet.map((g) => g.name.toLowerCase()));
  for (const a of adopted) {
    if (taken.has(a.name.toLowerCase())) continue;
    taken.add(a.name.toLowerCase());
    fleet.push({
      name: a.name,
      ...(a.vmid !== undefined ? { vmid: a.vmid } : {}),
      role: a.role,
      nodeLabels: [],
      dockerStacks: [],
      adopted: true,
    });
  }
  return fleet;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Swarm nodes indexed by id and by lowercase hostname. */
export interface NodeIndex {
  byId: Map<string, ObservedNode>;
  byHostname: Map<string, ObservedNode[]>;
}

/** Indexes the observed nodes once, so binding a large fleet stays linear. */
export function indexNodes(nodes: readonly ObservedNode[]): NodeIndex {
  const byId = new Map<string, ObservedNode>();
  const byHostname = new Map<string, ObservedNode[]>();
  for (const n of nodes) {
    byId.set(n.id, n);
    pushTo(byHostname, n.hostname.toLowerCase(), n);
  }
  return { byId, byHostname };
}

/**
 * Pairs every fleet guest with its agent (by the name the registry matched it to) and its swarm
 * node (by the node id its engine reports, else by hostname, preferring a ready node; a guest
 * whose engine says it is outside the swarm gets no node, whatever stale entry has its name).
 */
export function bindFleet<G extends { name: string }>(
  fleet: readonly G[],
  observed: ObservedState,
  nodes = indexNodes(observed.swarm.nodes),
): Bound<G>[] {
  const agents = new Map<string, ObservedGuest>();
  for (const o of observed.guests) {
    const key = o.name.toLowerCase();
    const seen = agents.get(key);
    if (!seen || (!seen.online && o.online)) agents.set(key, o);
  }
  return fleet.map((guest) => {
    const agent = agents.get(guest.name.toLowerCase());
    let node = agent?.swarm.nodeId ? nodes.byId.get(agent.swarm.nodeId) : undefined;
    const foreign =
      agent?.swarm.clusterId !== undefined &&
      observed.swarm.clusterId !== undefined &&
      agent.swarm.clusterId !== observed.swarm.clusterId;
    if (!node && !foreign && (!agent || agent.swarm.state === "active")) {
      const named = nodes.byHostname.get((agent?.hostname ?? guest.name).toLowerCase()) ?? [];
      node = named.find((n) => n.state === "ready") ?? named[0];
    }
    return { guest, ...(agent ? { observed: agent } : {}), ...(node ? { node } : {}) };
  });
}
