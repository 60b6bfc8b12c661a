import { environmentNetworkName } from "@phoenix/model";
import { NodeAvailability, NodeRole, SwarmLocalState, type SwarmNode } from "@phoenix/proto";
import { factsFromInventory } from "./inventory-facts";
import type { FleetSnapshot } from "./observe";
import type { DeployedStack, ObservedGuest, ObservedNode, ObservedState } from "./planner/observed-state";
import type { CoordinatorState } from "./state";

const LOCAL_STATE: Record<SwarmLocalState, ObservedGuest["swarm"]["state"]> = {
  [SwarmLocalState.UNSPECIFIED]: "inactive",
  [SwarmLocalState.INACTIVE]: "inactive",
  [SwarmLocalState.PENDING]: "pending",
  [SwarmLocalState.ACTIVE]: "active",
  [SwarmLocalState.ERROR]: "error",
  [SwarmLocalState.LOCKED]: "locked",
};

const AVAILABILITY: Record<NodeAvailability, ObservedNode["availability"]> = {
  [NodeAvailability.UNSPECIFIED]: "active",
  [NodeAvailability.ACTIVE]: "active",
  [NodeAvailability.PAUSE]: "pause",
  [NodeAvailability.DRAIN]: "drain",
};

/** A swarm node in the planner's terms. */
export function observedNode(n: SwarmNode): ObservedNode {
  const node: ObservedNode = {
    id: n.id,
    hostname: n.hostname,
    role: n.role === NodeRole.MANAGER ? "manager" : "worker",
    availability: AVAILABILITY[n.availability],
    state: n.state,
    labels: { ...n.labels },
  };
  if (n.leader) node.leader = true;
  if (n.reachability === "reachable") node.reachable = true;
  else if (n.reachability === "unreachable") node.reachable = false;
  return node;
}

/** Marks a failed deploy so that its hash never equals a desired one: the next plan deploys it again. */
const FAILED_HASH_PREFIX = "failed:";

/**
 * The planner's observed state: the agents matched to fleet guests, the swarm as a manager reported it,
 * and the stack environments recorded in the state directory. The Engine cannot be asked for networks
 * through the agent protocol, so an environment network counts as present once a stack of that
 * environment is recorded as deployed (every deploy ensures its environment's network).
 */
export function toObservedState(snapshot: FleetSnapshot, state: Readonly<CoordinatorState>): ObservedState {
  const guests: ObservedGuest[] = [];
  for (const a of snapshot.agents) {
    if (!a.guest) continue;
    const docker = a.docker;
    const swarm: ObservedGuest["swarm"] = {
      state: LOCAL_STATE[docker?.swarmState ?? SwarmLocalState.UNSPECIFIED],
    };
    if (docker?.nodeId) swarm.nodeId = docker.nodeId;
    if (docker?.clusterId) swarm.clusterId = docker.clusterId;
    const g: ObservedGuest = {
      name: a.guest,
      hostname: a.hostname,
      online: a.online,
      facts: factsFromInventory(a.inventory),
      swarm,
    };
    if (a.vmid !== undefined) g.vmid = a.vmid;
    guests.push(g);
  }
  const stacks: DeployedStack[] = Object.values(state.environments).map((e) => ({
    stack: e.stack,
    env: e.env,
    specHash: e.status === "deployed" ? e.specHash : `${FAILED_HASH_PREFIX}${e.specHash}`,
    source: e.source,
  }));
  const networks = [
    ...new Set(
      Object.values(state.environments)
        .filter((e) => e.status === "deployed")
        .map((e) => environmentNetworkName(e.env)),
    ),
  ].sort();
  const swarm: ObservedState["swarm"] = snapshot.swarm
    ? {
        initialized: true,
        clusterId: snapshot.swarm.clusterId,
        nodes: snapshot.swarm.nodes.map(observedNode),
      }
    : { initialized: false, nodes: [] };
  return { swarm, guests, networks, stacks };
}
