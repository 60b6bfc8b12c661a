import { create, type DockerState, DockerStateSchema, DockerStatus, SwarmLocalState } from "@phoenix/proto";
import { dockerGet, withinTimeout } from "./docker-get";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";
import { oneLine } from "./one-line";

/** Default Docker engine socket. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";
/** Default time the engine has to answer one read. */
export const DEFAULT_DOCKER_TIMEOUT_MS = 5_000;

/** Docker's words for a node's swarm state (`Swarm.LocalNodeState` in GET /info). */
export const SWARM_STATES: Readonly<Record<string, SwarmLocalState>> = {
  inactive: SwarmLocalState.INACTIVE,
  pending: SwarmLocalState.PENDING,
  active: SwarmLocalState.ACTIVE,
  error: SwarmLocalState.ERROR,
  locked: SwarmLocalState.LOCKED,
};

/** The subset of `GET /info` (body and `Api-Version` header) that DockerState is built from. */
export interface DockerFacts {
  apiVersion: string;
  info: {
    ServerVersion?: string;
    ContainersRunning?: number;
    Swarm?: {
      LocalNodeState?: string;
      NodeID?: string;
      NodeAddr?: string;
      ControlAvailable?: boolean;
      Cluster?: { ID?: string } | null;
      RemoteManagers?: Array<{ NodeID?: string; Addr?: string }> | null;
    };
  };
}

/** DockerState from the engine's info answer. */
export function dockerStateFrom({ apiVersion, info }: DockerFacts): DockerState {
  const swarm = info.Swarm ?? {};
  return create(DockerStateSchema, {
    status: DockerStatus.OK,
    engineVersion: info.ServerVersion ?? "",
    apiVersion,
    swarmState: SWARM_STATES[swarm.LocalNodeState ?? ""] ?? SwarmLocalState.UNSPECIFIED,
    nodeId: swarm.NodeID ?? "",
    manager: swarm.ControlAvailable === true,
    clusterId: swarm.Cluster?.ID ?? "",
    managerAddresses: (swarm.RemoteManagers ?? []).flatMap((m) => (m.Addr ? [m.Addr] : [])).sort(),
    containersRunning: info.ContainersRunning ?? 0,
    nodeAddr: swarm.NodeAddr ?? "",
  });
}

/** DockerState saying the engine did not answer, and why. */
export function dockerUnreachable(socket: string, err: unknown): DockerState {
  const why = err instanceof Error ? err.message : String(err);
  return create(DockerStateSchema, {
    status: DockerStatus.UNREACHABLE,
    error: oneLine(`Docker engine at ${socket} did not answer: ${why}`),
  });
}

/**
 * Reads the engine's version, API version, swarm membership and running containers: one GET /info
 * over node:http (the API version is its `Api-Version` header), no Docker client loaded. One
 * answer, not two: on Docker 20.10 each of GET /info and GET /version runs `runc --version` and
 * `docker-init --version`, about 30 ms of the engine's CPU each.
 */
export async function readDockerState(socket: string, timeoutMs: number): Promise<DockerState> {
  try {
    return await withinTimeout(timeoutMs, async (signal) => {
      const info = await dockerGet(socket, "/info", signal);
      // An engine that sends no Api-Version header still answers GET /version.
      const apiVersion =
        info.apiVersion ||
        String(
          ((await dockerGet(socket, "/version", signal)).body as { ApiVersion?: unknown }).ApiVersion ?? "",
        );
      return dockerStateFrom({ apiVersion, info: info.body as DockerFacts["info"] });
    });
  } catch (err) {
    return dockerUnreachable(socket, err);
  }
}

/**
 * The inventory's Docker part (readDockerState on the periodic interval). Docker being down or slower
 * than the timeout is reported as DOCKER_STATUS_UNREACHABLE with the reason, never thrown.
 */
export function createDockerFingerprinter(opts: HardwareOptions): Fingerprinter {
  const socket = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  const timeoutMs = opts.dockerTimeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  return {
    name: "docker",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      return { docker: await readDockerState(socket, timeoutMs) };
    },
  };
}
