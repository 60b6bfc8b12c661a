import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { SwarmNode } from "@phoenix/proto";
import type { IdentityClash } from "./identity-clash";
import type { ManagerAccess } from "./manager-access";
import type { AgentRecord, Registry } from "./registry";
import { resultOf } from "./registry";

/** The swarm as one healthy manager's agent reported it. */
export interface ObservedSwarm {
  clusterId: string;
  nodes: SwarmNode[];
  /** Guest whose agent answered. */
  via: string;
}

/** What the fleet looks like now: every agent, and the swarm when a manager could be asked. */
export interface FleetSnapshot {
  /** When it was taken (ms since the epoch). */
  at: number;
  agents: AgentRecord[];
  /** Agent ids more than one machine presents (see identity-clash.ts). */
  clashes?: IdentityClash[];
  /** Undefined when no manager's agent is online (no swarm yet, or every manager gone). */
  swarm?: ObservedSwarm;
  /** Why the swarm could not be read although a manager was expected to answer. */
  swarmError?: PhoenixError;
}

/** Reads the fleet: agents from the registry, nodes through swarm_inspect on a manager's agent. */
export interface Observer {
  observe(signal?: AbortSignal): Promise<FleetSnapshot>;
}

/** Creates the observer. */
export function createObserver(registry: Registry, managers: ManagerAccess, timeoutMs = 15_000): Observer {
  return {
    async observe(signal) {
      const at = Date.now();
      const agents = registry.list();
      const clashes = registry.clashes();
      const snapshot: FleetSnapshot = { at, agents, ...(clashes.length ? { clashes } : {}) };
      if (managers.managers().length === 0) return snapshot;
      try {
        const opts = signal ? { timeoutMs, signal } : { timeoutMs };
        const { agent, result } = await managers.send({ case: "swarmInspect", value: {} }, opts);
        const inspect = resultOf(result, "swarmInspect");
        snapshot.swarm = { clusterId: inspect.clusterId, nodes: inspect.nodes, via: agent.name };
      } catch (err) {
        if (signal?.aborted) throw err;
        snapshot.swarmError = PhoenixError.from(err, ErrorCode.UNAVAILABLE);
      }
      return snapshot;
    },
  };
}

/** The swarm node of an agent: by the node id its engine reports, else by hostname. */
export function nodeOfAgent(agent: AgentRecord, nodes: readonly SwarmNode[]): SwarmNode | undefined {
  const id = agent.docker?.nodeId;
  if (id) {
    const byId = nodes.find((n) => n.id === id);
    if (byId) return byId;
  }
  const host = agent.hostname.toLowerCase();
  const byHost = nodes.filter((n) => n.hostname.toLowerCase() === host);
  // Two nodes with one hostname (a guest that left and joined again): the ready one is the guest.
  return byHost.find((n) => n.state === "ready") ?? byHost[0];
}
