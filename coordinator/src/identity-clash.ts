/**
 * Two machines that present one agent id: guests cloned from a template that kept its
 * /etc/machine-id. Each session replaces the other's, so the coordinator sees one agent that keeps
 * changing hosts. One such switch may be a guest renamed under a running agent; a second one within
 * the window is a clash, reported with every machine seen.
 */

/** What tells machines apart when they present the same agent id. */
export interface Machine {
  hostname: string;
  vmid?: number;
  /** Address the session came from. */
  peer: string;
}

/** An agent id presented by more than one machine, recently. */
export interface IdentityClash {
  agentId: string;
  /** Every machine seen presenting it in the window, first seen first. */
  machines: Machine[];
  /** When the latest switch between machines happened (ms since the epoch). */
  lastSwitch: number;
}

/** Whether two sessions came from the same machine: the same hostname and, where both say one, vmid. */
export function sameMachine(a: Machine, b: Machine): boolean {
  if (a.hostname.toLowerCase() !== b.hostname.toLowerCase()) return false;
  return a.vmid === undefined || b.vmid === undefined || a.vmid === b.vmid;
}

/** How long switches count towards a clash, and how long a clash is reported after the last one. */
export const CLASH_WINDOW_MS = 10 * 60_000;

/** Remembers the switches between machines per agent id. */
export interface ClashTracker {
  /**
   * A live session of the agent was replaced by one from `after`. Returns the clash when this switch
   * confirms one that was not being reported (so it is logged once, not at every switch).
   */
  replaced(agentId: string, before: Machine, after: Machine, now: number): IdentityClash | undefined;
  /** The clashes with a switch within the window. */
  list(now: number): IdentityClash[];
}

/** Creates a tracker of identity clashes. */
export function createClashTracker(windowMs = CLASH_WINDOW_MS): ClashTracker {
  // switches: times within the window; clashUntil: set while a confirmed clash is reported.
  const byId = new Map<string, { switches: number[]; machines: Machine[]; clashUntil?: number }>();

  const prune = (now: number) => {
    for (const [id, e] of byId) {
      e.switches = e.switches.filter((t) => now - t < windowMs);
      if (e.clashUntil !== undefined && e.clashUntil <= now) delete e.clashUntil;
      if (e.switches.length === 0 && e.clashUntil === undefined) byId.delete(id);
    }
  };
  const clashOf = (agentId: string, e: { machines: Machine[]; clashUntil?: number }): IdentityClash => ({
    agentId,
    machines: e.machines.map((m) => ({ ...m })),
    lastSwitch: (e.clashUntil ?? windowMs) - windowMs,
  });

  return {
    replaced(agentId, before, after, now) {
      if (sameMachine(before, after)) return undefined;
      prune(now);
      const e = byId.get(agentId) ?? { switches: [], machines: [] };
      byId.set(agentId, e);
      e.switches.push(now);
      let added = false;
      for (const m of [before, after]) {
        const known = e.machines.findIndex((k) => sameMachine(k, m));
        if (known === -1) {
          e.machines.push({ ...m });
          added = true;
        } else e.machines[known] = { ...m };
      }
      const reported = e.clashUntil !== undefined;
      if (!reported && e.switches.length < 2) return undefined;
      e.clashUntil = now + windowMs;
      return reported && !added ? undefined : clashOf(agentId, e);
    },

    list(now) {
      prune(now);
      return [...byId]
        .filter(([, e]) => e.clashUntil !== undefined)
        .map(([id, e]) => clashOf(id, e))
        .sort((a, b) => a.agentId.localeCompare(b.agentId));
    },
  };
}

function machineText(m: Machine): string {
  const parts = [m.vmid === undefined ? "" : `vmid ${m.vmid}`, m.peer].filter(Boolean);
  return `${m.hostname || "(no hostname)"}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/**
 * One warning line: which machines, why it happens, and what to do. With `now`, it also says how
 * long ago the last switch was: the warning stays up for CLASH_WINDOW_MS after it, and by then the
 * clash may be over (one of the machines fixed or stopped).
 */
export function clashText(c: IdentityClash, now?: number): string {
  const when = now === undefined ? "" : ` (last switch between them ${ago(now - c.lastSwitch)} ago)`;
  return (
    `agent id ${c.agentId} is presented by ${c.machines.length} machines${when}: ${c.machines.map(machineText).join(", ")}. ` +
    "Their sessions keep replacing each other, so only one is managed at a time. Clones of a template that " +
    "kept its /etc/machine-id? Empty it on each clone (truncate -s 0 /etc/machine-id, then reboot) and in the " +
    "template, or give each agent its own agentId"
  );
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
