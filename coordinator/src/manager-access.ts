import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { type CommandResult, SwarmLocalState } from "@phoenix/proto";
import type { AgentRecord, CommandKind, Registry, SendOptions } from "./registry";

/** Cluster-wide work goes through the agent of a healthy swarm manager; this picks one and fails over. */
export interface ManagerAccess {
  /** Online agents whose engine is an active swarm manager, the last one that answered first. */
  managers(): AgentRecord[];
  /** Sends to a manager's agent; a manager that is offline or silent is skipped for the next one. */
  send(kind: CommandKind, opts?: SendOptions): Promise<{ agent: AgentRecord; result: CommandResult }>;
}

/** True when the agent's engine is an active manager of a swarm. */
export function isManagerAgent(a: AgentRecord): boolean {
  return a.online && a.docker?.swarmState === SwarmLocalState.ACTIVE && a.docker.manager === true;
}

const FAIL_OVER = new Set<string>([ErrorCode.AGENT_OFFLINE, ErrorCode.TIMEOUT, ErrorCode.UNAVAILABLE]);

/** Creates manager access over the registry. */
export function createManagerAccess(registry: Registry): ManagerAccess {
  let preferred = "";
  const managers = () =>
    registry
      .list()
      .filter(isManagerAgent)
      .sort((a, b) => {
        if (a.agentId === preferred) return -1;
        if (b.agentId === preferred) return 1;
        return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      });
  return {
    managers,
    async send(kind, opts) {
      const list = managers();
      if (list.length === 0) {
        throw new PhoenixError(
          ErrorCode.NO_MANAGER,
          "no swarm manager's agent is online: initialise the swarm (phoenix swarm init) or bring a manager back",
          { place: { command: kind.case ?? "" } },
        );
      }
      let last: unknown;
      for (const agent of list) {
        try {
          const result = await registry.send(agent.agentId, kind, opts);
          preferred = agent.agentId;
          return { agent, result };
        } catch (err) {
          last = err;
          if (!(err instanceof PhoenixError) || !FAIL_OVER.has(err.code) || opts?.signal?.aborted) throw err;
        }
      }
      throw last;
    },
  };
}
