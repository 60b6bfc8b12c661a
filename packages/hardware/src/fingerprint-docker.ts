import { create, type DockerState, DockerStateSchema, DockerStatus, SwarmLocalState } from "@phoenix/proto";
import { dockerGet } from "./docker-get";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";
import { oneLine } from "./one-line";

/** Default Docker engine socket. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

const SWARM_STATES: Record<string, SwarmLocalState> = {
  inactive: SwarmLocalState.INACTIVE,
  pending: SwarmLocalState.PENDING,
  active: SwarmLocalState.ACTIVE,
  error: SwarmLocalState.ERROR,
  locked: SwarmLocalState.LOCKED,
};

/** The subset of `GET /version` and `GET /info` that DockerState is built from. */
export interface DockerFacts {
  version: { Version?: string; ApiVersion?: string };
  info: {
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

/** DockerState from the engine's version and info answers. */
export function dockerStateFrom({ version, info }: DockerFacts): DockerState {
  const swarm = info.Swarm ?? {};
  return create(DockerStateSchema, {
    status: DockerStatus.OK,
    engineVersion: version.Version ?? "",
    apiVersion: version.ApiVersion ?? "",
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
 * Engine and API version, swarm membership and running containers from the local Docker socket (GET /version
 * and GET /info over node:http, no Docker client loaded). Docker being down or slower than the timeout is
 * reported as DOCKER_STATUS_UNREACHABLE with the reason, never thrown.
 */
export function createDockerFingerprinter(opts: HardwareOptions): Fingerprinter {
  const socket = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  const timeoutMs = opts.dockerTimeoutMs ?? 5000;
  return {
    name: "docker",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        const [version, info] = await Promise.all([
          dockerGet(socket, "/version", abort.signal),
          dockerGet(socket, "/info", abort.signal),
        ]);
        return { docker: dockerStateFrom({ version, info } as DockerFacts) };
      } catch (err) {
        const timedOut = abort.signal.aborted;
        abort.abort();
        return { docker: dockerUnreachable(socket, timedOut ? `no answer within ${timeoutMs} ms` : err) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
