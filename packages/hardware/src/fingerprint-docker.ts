import { create, type DockerState, DockerStateSchema, DockerStatus, SwarmLocalState } from "@phoenix/proto";
import type Dockerode from "dockerode";
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

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Engine and API version, swarm membership and running containers from the local Docker socket. Docker being
 * down is reported as DOCKER_STATUS_UNREACHABLE with the reason, never thrown. dockerode is loaded on first use.
 */
export function createDockerFingerprinter(opts: HardwareOptions): Fingerprinter {
  const socket = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  const timeoutMs = opts.dockerTimeoutMs ?? 5000;
  let docker: Dockerode | undefined;
  return {
    name: "docker",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      try {
        if (!docker) {
          const { default: Docker } = await import("dockerode");
          // dockerode's own timeout only closes the request ("socket hang up"); ours says what happened.
          docker = new Docker({ socketPath: socket, timeout: timeoutMs + 1000 });
        }
        const [version, info] = await withTimeout(Promise.all([docker.version(), docker.info()]), timeoutMs);
        return { docker: dockerStateFrom({ version, info }) };
      } catch (err) {
        return { docker: dockerUnreachable(socket, err) };
      }
    },
  };
}
