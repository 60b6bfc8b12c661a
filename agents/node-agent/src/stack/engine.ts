import { type ErrorPlace, PhoenixError } from "@phoenix/errors";
import type Dockerode from "dockerode";
import { dockerError } from "../docker";
import { abortError } from "./abort";
import { NAMESPACE_LABEL } from "./labels";

/** A service as `GET /services?status=true` returns it (the fields the applier reads). */
export interface EngineService {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: EngineServiceSpec;
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number; CompletedTasks?: number };
  JobStatus?: { JobIteration?: { Index?: number } };
}

/** A stored service spec: any Engine API fields, with the ones the applier reads typed. */
export interface EngineServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate: Record<string, unknown> & { ForceUpdate?: number };
  Mode?: {
    Replicated?: { Replicas?: number };
    Global?: object;
    ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
    GlobalJob?: object;
  };
  [field: string]: unknown;
}

/** A task as `GET /tasks` returns it. */
export interface EngineTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt: string;
  DesiredState: string;
  Spec: unknown;
  Status: { Timestamp?: string; State: string; Message?: string; Err?: string };
  JobIteration?: { Index?: number };
}

/** A network as `GET /networks` returns it. */
export interface EngineNetwork {
  Id: string;
  Name: string;
  Scope?: string;
  Driver?: string;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string }[] | null } | null;
}

/** A node as `GET /nodes` returns it (the fields placement reads). */
export interface EngineNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> | null };
  Description?: {
    Hostname?: string;
    Platform?: { OS?: string; Architecture?: string };
    Engine?: { Labels?: Record<string, string> | null };
  };
  Status?: { State?: string };
}

/** A secret or config as `GET /secrets` and `GET /configs` return it. */
export interface EngineObject {
  ID: string;
  Spec: { Name: string; Labels?: Record<string, string> };
}

/** Secrets and configs are handled alike; this names which. */
export type ObjectKind = "secret" | "config";

/**
 * The Docker calls a stack apply or remove makes, through one dockerode client, each bound to
 * the command's signal. Every write is counted so a no-op re-deploy can prove it wrote nothing.
 * Request bodies go in `_body` and queries in `_query`, so secret data never lands in a URL.
 */
export interface Engine {
  /** Creates, updates and removes done so far. */
  readonly writes: number;
  info(): Promise<{ Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string } }>;
  listServices(ns?: string): Promise<EngineService[]>;
  inspectService(id: string): Promise<EngineService>;
  createService(spec: object): Promise<string>;
  updateService(id: string, version: number, spec: object): Promise<void>;
  removeService(id: string): Promise<void>;
  /**
   * Tasks of the given services, or of every service when none are named. Docker refuses the
   * service filter when one of them is gone; every task is listed then.
   */
  listTasks(serviceIds?: readonly string[]): Promise<EngineTask[]>;
  /** Tasks of the services labelled with this stack namespace, as `docker stack ps` lists them. */
  listStackTasks(ns: string): Promise<EngineTask[]>;
  listNetworks(): Promise<EngineNetwork[]>;
  /** The swarm's nodes (a manager's read). */
  listNodes(): Promise<EngineNode[]>;
  /** Prefix of the subnets Swarm gives networks created without one (`GET /swarm` SubnetSize, default 24). */
  subnetSize(): Promise<number>;
  createNetwork(spec: object): Promise<string>;
  removeNetwork(id: string): Promise<void>;
  listObjects(kind: ObjectKind, ns?: string): Promise<EngineObject[]>;
  createObject(kind: ObjectKind, spec: object): Promise<string>;
  removeObject(kind: ObjectKind, id: string): Promise<void>;
}

/** Creates the Engine for one command: calls honour `signal`, failures become DOCKER errors at `place`. */
export function createEngine(docker: Dockerode, signal: AbortSignal, place: ErrorPlace): Engine {
  let writes = 0;
  const call = async <T = unknown>(
    what: string,
    fn: () => Promise<unknown>,
    where: ErrorPlace = place,
  ): Promise<T> => {
    if (signal.aborted) throw abortError(signal, where);
    try {
      return (await fn()) as T;
    } catch (err) {
      if (signal.aborted) throw abortError(signal, where);
      throw dockerFailure(what, err, where);
    }
  };
  const write = <T = unknown>(what: string, fn: () => Promise<unknown>, where?: ErrorPlace): Promise<T> => {
    writes++;
    return call<T>(what, fn, where);
  };
  // Removing what is already gone (a concurrent remove, a network Docker still lists while its
  // last container stops) is a success: the object is not there any more.
  const remove = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await write(what, fn);
    } catch (err) {
      if (!(err instanceof PhoenixError && isNotFound(err))) throw err;
    }
  };
  const nsFilter = (ns?: string) => (ns ? { label: [`${NAMESPACE_LABEL}=${ns}`] } : {});
  const body = (spec: object) => ({ _query: {}, _body: spec, abortSignal: signal });
  const svcPlace = (name: unknown): ErrorPlace => ({ ...place, service: String(name) });

  return {
    get writes() {
      return writes;
    },
    info: () =>
      call("read the node's swarm state", () =>
        (docker.info as (opts: object) => Promise<unknown>).call(docker, { abortSignal: signal }),
      ),
    listServices: (ns) =>
      call("list services", () =>
        docker.listServices({
          status: true,
          filters: nsFilter(ns),
          abortSignal: signal,
        } as Dockerode.ServiceListOptions),
      ),
    inspectService: (id) =>
      call<EngineService>("inspect service", () => docker.getService(id).inspect({ abortSignal: signal })),
    createService: async (spec) => {
      const name = (spec as { Name?: string }).Name;
      const res = (await write(
        `create service ${name}`,
        () => docker.createService(body(spec) as never),
        svcPlace(name),
      )) as { ID?: string; id?: string };
      return res.ID ?? res.id ?? "";
    },
    updateService: async (id, version, spec) => {
      const name = (spec as { Name?: string }).Name;
      await write(
        `update service ${name}`,
        () =>
          docker.getService(id).update({ _query: { version }, _body: spec, abortSignal: signal } as never),
        svcPlace(name),
      );
    },
    removeService: async (id) => {
      await remove(`remove service ${id}`, () => docker.getService(id).remove({ abortSignal: signal }));
    },
    listTasks: async (serviceIds) => {
      const all = () => call<EngineTask[]>("list tasks", () => docker.listTasks({ abortSignal: signal }));
      if (!serviceIds) return all();
      if (serviceIds.length === 0) return [];
      try {
        return await call<EngineTask[]>("list tasks", () =>
          docker.listTasks({ filters: { service: [...serviceIds] }, abortSignal: signal } as object),
        );
      } catch (err) {
        if (err instanceof PhoenixError && isNotFound(err)) return all();
        throw err;
      }
    },
    listStackTasks: (ns) =>
      call<EngineTask[]>("list tasks", () =>
        docker.listTasks({ filters: nsFilter(ns), abortSignal: signal } as object),
      ),
    listNetworks: () =>
      call<EngineNetwork[]>("list networks", () => docker.listNetworks({ abortSignal: signal })),
    listNodes: () => call<EngineNode[]>("list nodes", () => docker.listNodes({ abortSignal: signal })),
    subnetSize: async () => {
      const swarm = await call<{ SubnetSize?: number }>("read the swarm's settings", () =>
        (docker.swarmInspect as (opts: object) => Promise<unknown>).call(docker, { abortSignal: signal }),
      );
      return swarm.SubnetSize || 24;
    },
    createNetwork: async (spec) => {
      const name = (spec as { Name?: string }).Name;
      const res = (await write(`create network ${name}`, () =>
        docker.createNetwork(body(spec) as never),
      )) as unknown as { id?: string; Id?: string };
      return res.id ?? res.Id ?? "";
    },
    removeNetwork: async (id) => {
      await remove(`remove network ${id}`, () => docker.getNetwork(id).remove({ abortSignal: signal }));
    },
    listObjects: (kind, ns) => {
      const opts = { filters: nsFilter(ns), abortSignal: signal };
      return call(
        `list ${kind}s`,
        (): Promise<unknown> => (kind === "secret" ? docker.listSecrets(opts) : docker.listConfigs(opts)),
      ) as Promise<EngineObject[]>;
    },
    createObject: async (kind, spec) => {
      const name = (spec as { Name?: string }).Name;
      const res = (await write(`create ${kind} ${name}`, () =>
        kind === "secret"
          ? docker.createSecret(body(spec) as never)
          : docker.createConfig(body(spec) as never),
      )) as unknown as { ID?: string; id?: string };
      return res.ID ?? res.id ?? "";
    },
    removeObject: async (kind, id) => {
      await remove(`remove ${kind} ${id}`, () =>
        kind === "secret"
          ? docker.getSecret(id).remove({ abortSignal: signal })
          : docker.getConfig(id).remove({ abortSignal: signal }),
      );
    },
  };
}

function isNotFound(err: PhoenixError): boolean {
  const status = (err.cause as { statusCode?: unknown } | undefined)?.statusCode;
  return status === 404 || (status === 500 && / not found$/.test(err.message));
}

/** A failed Docker call as a PhoenixError at `place`, with the agent's usual code mapping. */
function dockerFailure(what: string, err: unknown, place: ErrorPlace): PhoenixError {
  const e = dockerError(err, `cannot ${what}`);
  return new PhoenixError(e.code, e.message, { place, cause: err });
}
