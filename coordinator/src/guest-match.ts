import type { AdoptPolicy } from "@phoenix/model";
import type { AgentMatch } from "./registry";
import type { AdoptedGuest } from "./state";

/** The part of a model guest matching needs. */
export interface GuestRef {
  name: string;
  vmid: number;
}

/** Who the agent says it is. */
export interface AgentIdentity {
  agentId: string;
  hostname: string;
  vmid?: number;
}

/** The match, and a new adoption to persist (under the agent id) when the policy adopted the agent just now. */
export interface MatchOutcome {
  match: AgentMatch;
  adopt?: AdoptedGuest;
}

const DNS_LABEL = /[^a-z0-9-]+/g;

function adoptedName(id: AgentIdentity, taken: Set<string>): string {
  const base =
    id.hostname
      .toLowerCase()
      .replace(DNS_LABEL, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || `agent-${id.agentId.slice(0, 8)}`;
  if (!taken.has(base)) return base;
  const withVmid = id.vmid !== undefined ? `${base}-${id.vmid}` : `${base}-${id.agentId.slice(0, 8)}`;
  if (!taken.has(withVmid)) return withVmid;
  for (let i = 2; ; i++) if (!taken.has(`${withVmid}-${i}`)) return `${withVmid}-${i}`;
}

/**
 * Matches an agent to a model guest: by vmid first, then by hostname (case-insensitive). An agent the
 * model does not list keeps an earlier adoption, is adopted now when the policy says so, or stays unmatched.
 */
export function matchGuest(
  id: AgentIdentity,
  guests: readonly GuestRef[],
  adopted: Readonly<Record<string, AdoptedGuest>>,
  policy: AdoptPolicy,
): MatchOutcome {
  if (id.vmid !== undefined) {
    const g = guests.find((x) => x.vmid === id.vmid);
    if (g) return { match: { guest: g.name, vmid: g.vmid, inModel: true, adopted: false } };
  }
  const host = id.hostname.toLowerCase();
  if (host) {
    const g = guests.find((x) => x.name.toLowerCase() === host);
    if (g) return { match: { guest: g.name, vmid: g.vmid, inModel: true, adopted: false } };
  }
  const earlier = Object.hasOwn(adopted, id.agentId) ? adopted[id.agentId] : undefined;
  if (earlier) {
    const match: AgentMatch = { guest: earlier.name, inModel: false, adopted: true };
    const vmid = id.vmid ?? earlier.vmid;
    if (vmid !== undefined) match.vmid = vmid;
    return { match };
  }
  if (policy === "none") {
    const match: AgentMatch = { guest: "", inModel: false, adopted: false };
    if (id.vmid !== undefined) match.vmid = id.vmid;
    return { match };
  }
  const taken = new Set([
    ...guests.map((g) => g.name.toLowerCase()),
    ...Object.values(adopted).map((a) => a.name),
  ]);
  const adopt: AdoptedGuest = {
    name: adoptedName(id, taken),
    hostname: id.hostname || adoptedName(id, new Set()),
    adoptedAt: new Date().toISOString(),
  };
  if (id.vmid !== undefined) adopt.vmid = id.vmid;
  const match: AgentMatch = { guest: adopt.name, inModel: false, adopted: true };
  if (id.vmid !== undefined) match.vmid = id.vmid;
  return { match, adopt };
}
