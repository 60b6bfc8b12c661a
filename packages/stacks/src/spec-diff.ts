import { LABEL_IMAGE } from "./compose";
import type { ServiceSpec } from "./engine-types";

// Deciding whether a service Docker reports equals the one Phoenix wants. The Engine API treats
// an absent field like its zero value, and the daemon fills defaults into what it stores, so
// both sides are first brought to one canonical form.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Paths where zero/false is a value of its own (Go pointers in the Engine API), not "unset".
const ZERO_IS_VALUE = new Set([
  "Mode.Replicated.Replicas",
  "Mode.ReplicatedJob.MaxConcurrent",
  "Mode.ReplicatedJob.TotalCompletions",
  "TaskTemplate.RestartPolicy.Delay",
  "TaskTemplate.RestartPolicy.MaxAttempts",
  "TaskTemplate.RestartPolicy.Window",
  "TaskTemplate.ContainerSpec.Init",
  "TaskTemplate.ContainerSpec.StopGracePeriod",
]);

// Paths where an empty object means something (the service mode, a runtime config).
const EMPTY_IS_VALUE = new Set([
  "Mode.Replicated",
  "Mode.Global",
  "Mode.ReplicatedJob",
  "Mode.GlobalJob",
  "TaskTemplate.ContainerSpec.Configs[].Runtime",
  "TaskTemplate.ContainerSpec.Mounts[].ClusterOptions",
]);

/**
 * Drops what the Engine API reads as "not set": null, empty strings, false and 0 (except where
 * they are values, like `Replicas: 0` or `Init: false`), and objects or lists left empty.
 * `path` is the dotted path of `value` inside a service spec (lists as `[]`).
 */
export function compactSpec(value: unknown, path = ""): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "boolean" || typeof value === "number") {
    if (value === false || value === 0) return ZERO_IS_VALUE.has(path) ? value : undefined;
    return value;
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => compactSpec(v, `${path}[]`)).filter((v): v is Json => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === "object") {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = compactSpec((value as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`);
      if (v !== undefined) out[key] = v;
    }
    if (Object.keys(out).length > 0 || EMPTY_IS_VALUE.has(path)) return out;
    return undefined;
  }
  return undefined;
}

/** One field that differs between two specs: its dotted path and both values. */
export interface SpecDifference {
  path: string;
  desired: Json | undefined;
  observed: Json | undefined;
}

/** Every field that differs between two compacted values (lists compared element by element). */
export function diffJson(desired: Json | undefined, observed: Json | undefined, path = ""): SpecDifference[] {
  if (JSON.stringify(desired) === JSON.stringify(observed)) return [];
  const isObj = (v: Json | undefined): v is { [key: string]: Json } =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(desired) && isObj(observed)) {
    const keys = [...new Set([...Object.keys(desired), ...Object.keys(observed)])].sort();
    return keys.flatMap((k) => diffJson(desired[k], observed[k], path === "" ? k : `${path}.${k}`));
  }
  if (Array.isArray(desired) && Array.isArray(observed) && desired.length === observed.length) {
    return desired.flatMap((d, i) => diffJson(d, observed[i], `${path}[${i}]`));
  }
  return [{ path, desired, observed }];
}

/** Ids Docker stored in a service spec, mapped back to the names Phoenix renders. */
export interface ObservedNames {
  /** Network id → network name (for `TaskTemplate.Networks[].Target`). */
  networks?: Record<string, string>;
}

const NANOSECONDS = 1_000_000_000;

/**
 * A desired service spec with the defaults the daemon stores for unset fields (as Docker 20.10+
 * reports them in `docker service inspect`), so it can be compared with an observed spec.
 */
export function withDaemonDefaults(spec: ServiceSpec): ServiceSpec {
  const s = structuredClone(spec);
  const c = s.TaskTemplate.ContainerSpec;
  c.StopGracePeriod ??= 10 * NANOSECONDS;
  c.Isolation ||= "default";
  const restart = s.TaskTemplate.RestartPolicy ?? {};
  restart.Condition ||= "any";
  restart.Delay ??= 5 * NANOSECONDS;
  restart.MaxAttempts ??= 0;
  s.TaskTemplate.RestartPolicy = restart;
  if (s.Mode.Replicated && s.Mode.Replicated.Replicas === undefined) s.Mode.Replicated.Replicas = 1;
  const update = (u: ServiceSpec["UpdateConfig"]) => ({
    ...u,
    Parallelism: u?.Parallelism ?? 1,
    FailureAction: u?.FailureAction || "pause",
    Monitor: u?.Monitor || 5 * NANOSECONDS,
    Order: u?.Order || "stop-first",
  });
  s.UpdateConfig = update(s.UpdateConfig);
  s.RollbackConfig = update(s.RollbackConfig);
  s.EndpointSpec = {
    Mode: s.EndpointSpec?.Mode || "vip",
    Ports: s.EndpointSpec?.Ports?.map((p) => ({
      Protocol: p.Protocol || "tcp",
      TargetPort: p.TargetPort,
      PublishedPort: p.PublishedPort,
      PublishMode: p.PublishMode || "ingress",
    })),
  };
  return s;
}

/** Network attachments in one order on both sides: Docker keeps the order sent, which says nothing. */
function byTarget<T extends { Target: string }>(list: T[] | undefined): T[] | undefined {
  return list && [...list].sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0));
}

function canonicalObserved(observed: ServiceSpec, names: ObservedNames): ServiceSpec {
  // `docker service inspect` asks for defaults (`insertDefaults=true`), a plain API client does
  // not: filling them in here makes both forms compare alike.
  const s = withDaemonDefaults(observed) as ServiceSpec & { TaskTemplate: { Runtime?: string } };
  if (s.TaskTemplate.Runtime === "container") delete s.TaskTemplate.Runtime;
  delete s.TaskTemplate.ForceUpdate;
  s.TaskTemplate.Networks = byTarget(
    s.TaskTemplate.Networks?.map((n) => ({ ...n, Target: names.networks?.[n.Target] ?? n.Target })),
  );
  const c = s.TaskTemplate.ContainerSpec;
  c.Secrets = c.Secrets?.map(({ SecretID: _, ...rest }) => rest);
  c.Configs = c.Configs?.map(({ ConfigID: _, ...rest }) => rest);
  return s;
}

function canonicalDesired(desired: ServiceSpec, observed: ServiceSpec): ServiceSpec {
  const s = withDaemonDefaults(desired);
  s.TaskTemplate.Networks = byTarget(s.TaskTemplate.Networks);
  const c = s.TaskTemplate.ContainerSpec;
  c.Secrets = c.Secrets?.map(({ SecretID: _, ...rest }) => rest);
  c.Configs = c.Configs?.map(({ ConfigID: _, ...rest }) => rest);
  // Like `docker stack deploy`: an image resolved to a digest on an earlier deploy still counts
  // as the image the compose file names when that name is unchanged.
  if (observed.Labels?.[LABEL_IMAGE] === desired.Labels[LABEL_IMAGE]) {
    c.Image = observed.TaskTemplate.ContainerSpec.Image;
  }
  return s;
}

/**
 * The fields in which an observed service (`GET /services/<id>` → `Spec`, with or without
 * `insertDefaults`) differs from the desired one, ignoring what Docker fills in by itself
 * (defaults, ids, an image digest it resolved, `ForceUpdate`). Empty means applying the desired
 * spec would change nothing.
 */
export function diffServiceSpec(
  desired: ServiceSpec,
  observed: ServiceSpec,
  names: ObservedNames = {},
): SpecDifference[] {
  return diffJson(
    compactSpec(canonicalDesired(desired, observed)),
    compactSpec(canonicalObserved(observed, names)),
  );
}

/** True when applying `desired` over `observed` would change nothing. */
export function serviceSpecMatches(
  desired: ServiceSpec,
  observed: ServiceSpec,
  names: ObservedNames = {},
): boolean {
  return diffServiceSpec(desired, observed, names).length === 0;
}
