import { clashText, type IdentityClash } from "./identity-clash";
import type { PlanNote } from "./planner";
import type { AgentRecord } from "./registry";

/** What the plan cannot fix but the operator should know about the agents themselves. */
export interface FleetNotesInput {
  agents: readonly Pick<AgentRecord, "name" | "online" | "agentVersion">[];
  clashes?: readonly IdentityClash[];
  /** This coordinator's version. */
  version: string;
  /** How a guest updates its agent, e.g. the install script's URL; undefined when not served. */
  updateCommand?: string;
  /** When the fleet was observed (ms since the epoch): clash notes say how long ago the last switch was. */
  at?: number;
}

/**
 * Notes on the agents: an agent id that two machines present, and agents of another version than
 * the coordinator (after the coordinator was updated, the guests still run the agent they
 * installed), each with what to do.
 */
export function fleetNotes(o: FleetNotesInput): PlanNote[] {
  const notes: PlanNote[] = (o.clashes ?? []).map((c) => ({ message: clashText(c, o.at) }));
  const onGuest = o.updateCommand ? ` (or on the guest: ${o.updateCommand})` : "";
  for (const a of [...o.agents].sort((x, y) => x.name.localeCompare(y.name))) {
    if (!a.online || !a.agentVersion || a.agentVersion === o.version) continue;
    notes.push({
      guest: a.name,
      message: `its agent is ${a.agentVersion}, this coordinator ${o.version}: update it with phoenix agents update ${a.name}${onGuest}`,
    });
  }
  return notes;
}

/**
 * The command that updates an agent in place, for a coordinator serving install files on
 * `httpPort`: over HTTPS when the coordinator has TLS, checked against the CA the guest was given.
 */
export function agentUpdateCommand(httpPort: number | undefined, tls = false): string | undefined {
  if (httpPort === undefined) return undefined;
  return tls
    ? `curl -fsSL --cacert /etc/phoenix/ca.pem https://<coordinator>:${httpPort}/agent/install.sh | sudo sh`
    : `curl -fsSL http://<coordinator>:${httpPort}/agent/install.sh | sudo sh`;
}
