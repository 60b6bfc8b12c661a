import { type DockerState, DockerStatus, SwarmLocalState } from "@phoenix/proto";
import { dockerGet, withinTimeout } from "./docker-get";
import {
  DEFAULT_DOCKER_SOCKET,
  DEFAULT_DOCKER_TIMEOUT_MS,
  dockerUnreachable,
  readDockerState,
  SWARM_STATES,
} from "./fingerprint-docker";

/**
 * How old the Docker state a heartbeat reports may get while the engine answers pings and nothing
 * is in flux: on an engine without the ping's `Swarm` header (before Docker 25), a swarm left or
 * joined by hand shows within this long.
 */
export const DOCKER_FULL_READ_MS = 30_000;

/** What the heartbeat probe needs of its options. */
export interface DockerProbeOptions {
  dockerSocket?: string;
  /** Timeout of one read or ping. */
  dockerTimeoutMs?: number;
  /** Longest time between two full reads (GET /info). Default DOCKER_FULL_READ_MS. */
  fullReadMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The Docker state for heartbeats, read cheaply. */
export interface DockerProbe {
  /** The current Docker state: a full read when one is due (fullReadDue), else a ping. */
  read(): Promise<DockerState>;
  /** A full read made elsewhere (the inventory's), taken as the latest. */
  remember(state: DockerState): void;
  /** The next read is a full one: the swarm state may just have changed (a swarm command ran). */
  invalidate(): void;
}

/** Swarm states that last until somebody acts; any other is a step on the way and is read again. */
const SETTLED = new Set([SwarmLocalState.ACTIVE, SwarmLocalState.INACTIVE]);

/** Docker's word for each swarm state. */
const SWARM_WORDS = new Map(Object.entries(SWARM_STATES).map(([word, state]) => [state, word]));

/** The `Swarm` header of GET /_ping (API 1.44+) an engine in this state sends; "" for none. */
export function swarmHeaderOf(state: DockerState): string {
  const word = SWARM_WORDS.get(state.swarmState) ?? "";
  return word === "active" ? `active/${state.manager ? "manager" : "worker"}` : word;
}

/**
 * Whether the next heartbeat needs a full read rather than a ping: there is no state yet, the engine
 * did not answer last time, the swarm is between states (pending, error, locked), or the last full
 * read is `fullReadMs` old.
 */
export function fullReadDue(
  last: DockerState | undefined,
  lastFullAt: number,
  now: number,
  fullReadMs: number,
): boolean {
  if (!last || last.status !== DockerStatus.OK) return true;
  if (!SETTLED.has(last.swarmState)) return true;
  return now - lastFullAt >= fullReadMs;
}

/**
 * The Docker state a heartbeat reports, at a fraction of the engine's CPU: GET /_ping (about 1 ms of
 * dockerd) while the state is settled, GET /info (about 30 ms on Docker 20.10, which runs
 * `runc --version` and `docker-init --version` for it) only when fullReadDue says so, or when the
 * ping shows another engine version (a restart into an upgrade) or, from an engine that sends the
 * ping's `Swarm` header (Docker 25 and later), another swarm state or role than the last read: there
 * a swarm left, joined or changed by hand shows at the next heartbeat, on older engines within
 * `fullReadMs`. The agent refreshes its inventory after its own swarm commands, and those reads are
 * remembered here too.
 */
export function createDockerProbe(opts: DockerProbeOptions = {}): DockerProbe {
  const socket = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  const timeoutMs = opts.dockerTimeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  const fullReadMs = opts.fullReadMs ?? DOCKER_FULL_READ_MS;
  const now = opts.now ?? Date.now;
  let last: DockerState | undefined;
  let lastFullAt = 0;

  const remember = (state: DockerState) => {
    last = state;
    lastFullAt = now();
    return state;
  };
  const readFull = async () => remember(await readDockerState(socket, timeoutMs));

  return {
    remember,
    invalidate() {
      lastFullAt = Number.NEGATIVE_INFINITY;
    },
    async read() {
      if (fullReadDue(last, lastFullAt, now(), fullReadMs)) return readFull();
      const known = last!;
      try {
        const ping = await withinTimeout(timeoutMs, (signal) => dockerGet(socket, "/_ping", signal, false));
        const moved =
          (ping.engineVersion && ping.engineVersion !== known.engineVersion) ||
          (ping.swarm && ping.swarm !== swarmHeaderOf(known));
        if (moved) return readFull();
        return known;
      } catch (err) {
        return remember(dockerUnreachable(socket, err));
      }
    },
  };
}
