import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { formatPath, validateCompose } from "./compose-schema";
import type {
  ComposeConfig,
  DeployConfig,
  External,
  FileObjectConfig,
  FileReferenceConfig,
  HealthCheckSource,
  NetworkConfig,
  ServiceConfig,
  ServiceNetworkConfig,
  ServicePortConfig,
  ServiceVolumeConfig,
  UpdateConfigSource,
  VolumeConfig,
} from "./compose-types";
import {
  type ComposeDict,
  type ComposeValue,
  isDict,
  numberOf,
  YamlFloat,
  YamlTimestamp,
} from "./compose-yaml";
import { parseEnvFile } from "./env-file";
import { formatGoFloat, parseGoDuration, parseRamInBytes } from "./go-units";
import { InterpolationError, interpolateConfig, type Lookup } from "./interpolation";
import { absolutePath, isAbsolutePath } from "./paths";
import { parseShortPort } from "./ports";
import { shlexSplit } from "./shlex";
import { parseShortVolume } from "./volume-spec";

/** Reads a file the compose file refers to (env_file, secret/config file), by absolute path. */
export type ReadFile = (absolutePath: string) => Uint8Array;

/** What loading a compose file needs besides the parsed file. */
export interface LoadOptions {
  /** The compose file's name, for error messages. */
  file?: string;
  /** Directory relative paths are resolved against (the compose file's directory). */
  workingDir: string;
  /** Variables for interpolation and for `environment` entries without a value. */
  lookup: Lookup;
  readFile: ReadFile;
}

/** A loaded compose file and the warnings Docker would print while loading it. */
export interface LoadResult {
  config: ComposeConfig;
  warnings: string[];
}

/** Newest compose file format `docker stack deploy` knows; also used for files without `version`. */
export const DEFAULT_COMPOSE_VERSION = "3.13";

/** Keys Swarm ignores: Docker prints "Ignoring unsupported options: ...". */
export const UNSUPPORTED_PROPERTIES = [
  "build",
  "cgroupns_mode",
  "cgroup_parent",
  "devices",
  "domainname",
  "external_links",
  "ipc",
  "links",
  "mac_address",
  "network_mode",
  "pid",
  "privileged",
  "restart",
  "security_opt",
  "shm_size",
  "userns_mode",
];

/** Keys removed from the v3 format that Docker ignores with a note. */
export const DEPRECATED_PROPERTIES: Record<string, string> = {
  container_name: "Setting the container name is not supported.",
  expose:
    "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
};

/**
 * Keys the 3.x schema accepts but `docker stack deploy` (CLI 28) drops without a word; Phoenix
 * drops them too and says so.
 */
export const SILENTLY_IGNORED_PROPERTIES = ["depends_on", "group_add", "oom_score_adj", "tmpfs"];

/** Keys that make Docker refuse the file. */
export const FORBIDDEN_PROPERTIES: Record<string, string> = {
  extends: "Support for `extends` is not implemented yet.",
  volume_driver:
    "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.",
  volumes_from:
    "To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.",
  cpu_quota: "Set resource limits using deploy.resources",
  cpu_shares: "Set resource limits using deploy.resources",
  cpuset: "Set resource limits using deploy.resources",
  mem_limit: "Set resource limits using deploy.resources",
  memswap_limit: "Set resource limits using deploy.resources",
};

class LoadError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

function fail(path: (string | number)[], message: string): never {
  throw new LoadError(path, message);
}

/** Compose file version as Docker reads it (missing or "3" means the newest 3.x). */
export function composeVersion(dict: ComposeDict): string {
  if (!("version" in dict)) return DEFAULT_COMPOSE_VERSION;
  const v = dict.version;
  const text = v instanceof YamlFloat ? formatGoFloat(v.value) : goString(v ?? null);
  return text === "" || text === "3" ? DEFAULT_COMPOSE_VERSION : text;
}

function isSupportedVersion(version: string): boolean {
  return /^3\.(?:[0-9]|1[0-3])$/.test(version);
}

/** Go's `fmt.Sprint` of a YAML scalar. */
export function goString(v: ComposeValue): string {
  if (v === null) return "<nil>";
  if (v instanceof YamlFloat) return formatGoFloat(v.value);
  if (v instanceof YamlTimestamp) return v.text;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function servicesOf(dict: ComposeDict): [string, ComposeDict][] {
  const services = dict.services;
  if (!isDict(services)) return [];
  return Object.entries(services).filter((e): e is [string, ComposeDict] => isDict(e[1]));
}

/** Docker's "Ignoring unsupported options" / "Ignoring deprecated options" warnings for a file. */
export function propertyWarnings(dict: ComposeDict): string[] {
  const services = servicesOf(dict);
  const unsupported = UNSUPPORTED_PROPERTIES.filter((p) => services.some(([, s]) => p in s));
  const deprecated = Object.keys(DEPRECATED_PROPERTIES)
    .filter((p) => services.some(([, s]) => p in s))
    .sort();
  const ignored = SILENTLY_IGNORED_PROPERTIES.filter((p) => services.some(([, s]) => p in s));
  const addresses = services.some(
    ([, s]) =>
      isDict(s.networks) &&
      Object.values(s.networks).some((n) => isDict(n) && ("ipv4_address" in n || "ipv6_address" in n)),
  );
  if (addresses) ignored.push("networks.*.ipv4_address/ipv6_address");
  const out: string[] = [];
  if (unsupported.length > 0) out.push(`Ignoring unsupported options: ${unsupported.join(", ")}`);
  if (ignored.length > 0) out.push(`Ignoring options Swarm does not use: ${ignored.join(", ")}`);
  if (deprecated.length > 0) {
    out.push(
      `Ignoring deprecated options: ${deprecated.map((p) => `${p}: ${DEPRECATED_PROPERTIES[p]}`).join(" ")}`,
    );
  }
  return out;
}

function composeError(
  opts: LoadOptions,
  path: (string | number)[],
  message: string,
  details?: PhoenixError[],
) {
  const where = formatPath(path);
  const service = path[0] === "services" && typeof path[1] === "string" ? path[1] : undefined;
  return new PhoenixError(ErrorCode.INVALID_COMPOSE, where ? `${where}: ${message}` : message, {
    place: { file: opts.file, path: where || undefined, service },
    details,
  });
}

/**
 * Loads a parsed compose file the way `docker stack deploy` does: rejects forbidden keys,
 * interpolates variables, validates against the 3.x schema, expands short syntaxes, resolves
 * env files and relative paths. Throws a PhoenixError (INVALID_COMPOSE) naming the key path.
 */
export function loadCompose(raw: ComposeDict, opts: LoadOptions): LoadResult {
  const version = composeVersion(raw);
  if (!isSupportedVersion(version)) {
    throw composeError(opts, ["version"], `unsupported Compose file version: ${version}`);
  }
  const forbidden = Object.keys(FORBIDDEN_PROPERTIES)
    .filter((p) => servicesOf(raw).some(([, s]) => p in s))
    .sort();
  if (forbidden.length > 0) {
    const first = servicesOf(raw).find(([, s]) => forbidden.some((p) => p in s));
    const key = forbidden.find((p) => first && p in first[1]) as string;
    throw composeError(
      opts,
      ["services", first?.[0] ?? "", key],
      `unsupported option: ${forbidden.map((p) => `${p} (${FORBIDDEN_PROPERTIES[p]})`).join("; ")}`,
    );
  }
  const warnings = propertyWarnings(raw);

  let dict: ComposeDict;
  try {
    const interpolated = interpolateConfig(raw, opts.lookup);
    dict = interpolated.config;
    for (const u of interpolated.unset) {
      warnings.push(`variable ${u.name} is not set (used in ${u.path}); using an empty string`);
    }
  } catch (e) {
    if (e instanceof InterpolationError) {
      const path = e.path.split(".").filter((p) => p !== "[]");
      throw composeError(opts, path, e.message.replace(/^.*? for [^:]+: /, ""));
    }
    throw e;
  }

  const violations = validateCompose(dict);
  if (violations.length > 0) {
    const details = violations.map((v) => composeError(opts, v.path, v.message));
    const first = violations[0] as { path: (string | number)[]; message: string };
    throw composeError(
      opts,
      first.path,
      violations.length === 1 ? first.message : `${first.message} (and ${violations.length - 1} more)`,
      violations.length > 1 ? details : undefined,
    );
  }

  try {
    const config: ComposeConfig = {
      version,
      services: loadServices(section(dict, "services"), opts, warnings),
      networks: loadNetworks(section(dict, "networks"), version, warnings),
      volumes: loadVolumes(section(dict, "volumes"), version, warnings),
      secrets: loadFileObjects(section(dict, "secrets"), "secret", version, opts, warnings),
      configs: loadFileObjects(section(dict, "configs"), "config", version, opts, warnings),
    };
    return { config, warnings };
  } catch (e) {
    if (e instanceof LoadError) throw composeError(opts, e.path, e.message);
    throw e;
  }
}

function section(dict: ComposeDict, key: string): ComposeDict {
  const v = dict[key];
  return isDict(v) ? v : {};
}

function str(v: ComposeValue | undefined): string | undefined {
  if (v instanceof YamlTimestamp) return v.text;
  return typeof v === "string" ? v : undefined;
}

function bool(v: ComposeValue | undefined): boolean {
  return v === true;
}

function uint(v: ComposeValue | undefined, path: (string | number)[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = numberOf(v);
  if (n === undefined) return undefined;
  if (n < 0) fail(path, `must not be negative, got ${n}`);
  return Math.trunc(n);
}

function duration(v: ComposeValue | undefined, path: (string | number)[]): number | undefined {
  if (typeof v !== "string") return undefined;
  const d = parseGoDuration(v);
  if (d === undefined) fail(path, `invalid duration ${JSON.stringify(v)}`);
  return d;
}

function stringList(v: ComposeValue | undefined): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.map((x) => goString(x));
  return [];
}

/** `map[string]string` from a dict (numbers printed as Go prints them, null → ""). */
function stringMap(v: ComposeValue | undefined): Record<string, string> | undefined {
  if (!isDict(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = x === null ? "" : goString(x);
  return out;
}

/** A list (`K=V`, `K`) or a dict, as a map; `allowNil` keeps value-less keys as null. */
function mappingOrList(
  v: ComposeValue | undefined,
  sep: string,
  allowNil: true,
): Record<string, string | null>;
function mappingOrList(v: ComposeValue | undefined, sep: string, allowNil: false): Record<string, string>;
function mappingOrList(
  v: ComposeValue | undefined,
  sep: string,
  allowNil: boolean,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (isDict(v)) {
    for (const [k, x] of Object.entries(v)) out[k] = x === null ? (allowNil ? null : "") : goString(x);
  } else if (Array.isArray(v)) {
    for (const item of v) {
      const s = goString(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = allowNil ? null : "";
      else out[s.slice(0, i)] = s.slice(i + sep.length);
    }
  }
  return out;
}

function shellCommand(v: ComposeValue | undefined, path: (string | number)[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") {
    const r = shlexSplit(v);
    if ("error" in r) fail(path, r.error);
    return r.words;
  }
  return stringList(v);
}

function external(v: ComposeValue | undefined): External {
  if (typeof v === "boolean") return { external: v };
  if (isDict(v)) return { external: true, name: str(v.name) };
  return { external: false };
}

function loadServices(services: ComposeDict, opts: LoadOptions, warnings: string[]): ServiceConfig[] {
  return Object.keys(services)
    .sort()
    .map((name) => loadService(name, services[name] as ComposeDict, opts, warnings));
}

function loadService(name: string, s: ComposeDict, opts: LoadOptions, warnings: string[]): ServiceConfig {
  const at = (...p: (string | number)[]) => ["services", name, ...p];
  const service: ServiceConfig = {
    name,
    image: str(s.image),
    command: shellCommand(s.command, at("command")),
    entrypoint: shellCommand(s.entrypoint, at("entrypoint")),
    environment: resolveEnvironment(s, opts, at),
    labels: mappingOrList(s.labels, "=", false),
    deploy: loadDeploy(isDict(s.deploy) ? s.deploy : {}, at),
    ports: loadPorts(s.ports, at, warnings),
    networks: loadServiceNetworks(s.networks),
    volumes: loadServiceVolumes(s.volumes, opts, at),
    secrets: loadFileReferences(s.secrets),
    configs: loadFileReferences(s.configs),
    healthcheck: loadHealthcheck(s.healthcheck, at),
    hostname: str(s.hostname),
    user: str(s.user),
    workingDir: str(s.working_dir),
    stopGracePeriod: duration(s.stop_grace_period, at("stop_grace_period")),
    stopSignal: str(s.stop_signal),
    sysctls: mappingOrList(s.sysctls, "=", false),
    ulimits: loadUlimits(s.ulimits),
    capAdd: stringList(s.cap_add),
    capDrop: stringList(s.cap_drop),
    logging: isDict(s.logging)
      ? { driver: str(s.logging.driver), options: stringMap(s.logging.options) }
      : undefined,
    dns: stringList(s.dns),
    dnsSearch: stringList(s.dns_search),
    extraHosts: loadExtraHosts(s.extra_hosts),
    init: typeof s.init === "boolean" ? s.init : undefined,
    readOnly: bool(s.read_only),
    tty: bool(s.tty),
    stdinOpen: bool(s.stdin_open),
    isolation: str(s.isolation),
    restart: str(s.restart),
    credentialSpec: isDict(s.credential_spec)
      ? {
          config: str(s.credential_spec.config),
          file: str(s.credential_spec.file),
          registry: str(s.credential_spec.registry),
        }
      : {},
  };
  return service;
}

function decodeText(bytes: Uint8Array, path: (string | number)[], file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    fail(path, `invalid env file (${file}): not valid UTF-8`);
  }
}

function resolveEnvironment(
  s: ComposeDict,
  opts: LoadOptions,
  at: (...p: (string | number)[]) => (string | number)[],
): Record<string, string | null> {
  const environment: Record<string, string | null> = {};
  const update = (vars: Record<string, string | null>) => {
    for (const [k, v] of Object.entries(vars)) {
      const fromLookup = opts.lookup(k);
      environment[k] = (v === null || v === "") && fromLookup !== undefined ? fromLookup : v;
    }
  };
  const envFiles = stringList(s.env_file);
  if (envFiles.length > 0) {
    const vars: Record<string, string | null> = {};
    envFiles.forEach((f, i) => {
      const file = absolutePath(opts.workingDir, f);
      let bytes: Uint8Array;
      try {
        bytes = opts.readFile(file);
      } catch (e) {
        fail(at("env_file", i), `cannot read ${file}: ${(e as Error).message}`);
      }
      let entries: ReturnType<typeof parseEnvFile>;
      try {
        entries = parseEnvFile(decodeText(bytes, at("env_file", i), file), opts.lookup);
      } catch (e) {
        if (e instanceof LoadError) throw e;
        fail(at("env_file", i), `invalid env file (${file}): ${(e as Error).message}`);
      }
      for (const entry of entries) vars[entry.key] = entry.value;
    });
    update(vars);
  }
  update(mappingOrList(s.environment, "=", true));
  return environment;
}

function loadUpdateConfig(
  v: ComposeValue | undefined,
  path: (string | number)[],
): UpdateConfigSource | undefined {
  if (!isDict(v)) return undefined;
  return {
    parallelism: uint(v.parallelism, [...path, "parallelism"]),
    delay: duration(v.delay, [...path, "delay"]),
    failureAction: str(v.failure_action),
    monitor: duration(v.monitor, [...path, "monitor"]),
    maxFailureRatio: v.max_failure_ratio === undefined ? undefined : numberOf(v.max_failure_ratio),
    order: str(v.order),
  };
}

function memory(v: ComposeValue | undefined, path: (string | number)[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const bytes = parseRamInBytes(v);
  if (bytes === undefined) fail(path, `invalid size: '${v}'`);
  return bytes;
}

function loadDeploy(d: ComposeDict, at: (...p: (string | number)[]) => (string | number)[]): DeployConfig {
  const resources = isDict(d.resources) ? d.resources : {};
  const limits = isDict(resources.limits) ? resources.limits : undefined;
  const reservations = isDict(resources.reservations) ? resources.reservations : undefined;
  const restart = isDict(d.restart_policy) ? d.restart_policy : undefined;
  const placement = isDict(d.placement) ? d.placement : {};
  const rp = at("deploy", "restart_policy");
  return {
    mode: str(d.mode),
    replicas: uint(d.replicas, at("deploy", "replicas")),
    labels: mappingOrList(d.labels, "=", false),
    updateConfig: loadUpdateConfig(d.update_config, at("deploy", "update_config")),
    rollbackConfig: loadUpdateConfig(d.rollback_config, at("deploy", "rollback_config")),
    resources: {
      limits: limits && {
        cpus: str(limits.cpus),
        memory: memory(limits.memory, at("deploy", "resources", "limits", "memory")),
        pids: typeof limits.pids === "number" ? limits.pids : undefined,
      },
      reservations: reservations && {
        cpus: str(reservations.cpus),
        memory: memory(reservations.memory, at("deploy", "resources", "reservations", "memory")),
        genericResources: Array.isArray(reservations.generic_resources)
          ? reservations.generic_resources.map((g) => {
              const spec =
                isDict(g) && isDict(g.discrete_resource_spec) ? g.discrete_resource_spec : undefined;
              return spec
                ? {
                    discreteResourceSpec: {
                      kind: str(spec.kind) ?? "",
                      value: Math.trunc(numberOf(spec.value ?? 0) ?? 0),
                    },
                  }
                : {};
            })
          : undefined,
      },
    },
    restartPolicy: restart && {
      condition: str(restart.condition),
      delay: duration(restart.delay, [...rp, "delay"]),
      maxAttempts: uint(restart.max_attempts, [...rp, "max_attempts"]),
      window: duration(restart.window, [...rp, "window"]),
    },
    placement: {
      constraints: Array.isArray(placement.constraints)
        ? placement.constraints.map((c) => goString(c))
        : undefined,
      preferences: Array.isArray(placement.preferences)
        ? placement.preferences.map((p) => ({ spread: isDict(p) ? str(p.spread) : undefined }))
        : undefined,
      maxReplicasPerNode: uint(
        placement.max_replicas_per_node,
        at("deploy", "placement", "max_replicas_per_node"),
      ),
    },
    endpointMode: str(d.endpoint_mode),
  };
}

function loadPorts(
  v: ComposeValue | undefined,
  at: (...p: (string | number)[]) => (string | number)[],
  warnings: string[],
) {
  const out: ServicePortConfig[] = [];
  if (!Array.isArray(v)) return out;
  v.forEach((entry, i) => {
    if (typeof entry === "number" || typeof entry === "string") {
      let parsed: ReturnType<typeof parseShortPort>;
      try {
        parsed = parseShortPort(typeof entry === "number" ? String(entry) : entry);
      } catch (e) {
        fail(at("ports", i), (e as Error).message);
      }
      out.push(...parsed.ports);
      if (parsed.ignoredHostIp) {
        warnings.push(
          `${formatPath(at("ports", i))}: ignoring IP-address ${parsed.ignoredHostIp} of ${JSON.stringify(entry)}; the service will listen on '0.0.0.0'`,
        );
      }
    } else if (isDict(entry)) {
      out.push({
        mode: str(entry.mode),
        target: uint(entry.target, at("ports", i, "target")) ?? 0,
        published: uint(entry.published, at("ports", i, "published")),
        protocol: str(entry.protocol),
      });
    } else {
      fail(at("ports", i), "invalid type for port");
    }
  });
  return out;
}

function loadServiceNetworks(
  v: ComposeValue | undefined,
): Record<string, ServiceNetworkConfig | null> | undefined {
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    return Object.fromEntries(v.map((n) => [goString(n), null]));
  }
  if (!isDict(v) || Object.keys(v).length === 0) return undefined;
  const out: Record<string, ServiceNetworkConfig | null> = {};
  for (const [name, cfg] of Object.entries(v)) {
    out[name] = isDict(cfg)
      ? {
          aliases: Array.isArray(cfg.aliases) ? cfg.aliases.map((a) => goString(a)) : undefined,
          driverOpts: stringMap(cfg.driver_opts),
          ipv4Address: str(cfg.ipv4_address),
          ipv6Address: str(cfg.ipv6_address),
        }
      : null;
  }
  return out;
}

function expandUser(path: string, lookup: Lookup): string {
  if (!path.startsWith("~")) return path;
  const home = lookup("HOME");
  return home === undefined ? path : path.replace("~", home);
}

function loadServiceVolumes(
  v: ComposeValue | undefined,
  opts: LoadOptions,
  at: (...p: (string | number)[]) => (string | number)[],
): ServiceVolumeConfig[] {
  if (!Array.isArray(v)) return [];
  return v.map((entry, i) => {
    let volume: ServiceVolumeConfig;
    if (typeof entry === "string") {
      try {
        volume = parseShortVolume(entry);
      } catch (e) {
        fail(at("volumes", i), (e as Error).message);
      }
    } else if (isDict(entry)) {
      volume = {
        type: str(entry.type) ?? "",
        source: str(entry.source),
        target: str(entry.target),
        readOnly: entry.read_only === undefined ? undefined : bool(entry.read_only),
        consistency: str(entry.consistency),
        bind: isDict(entry.bind) ? { propagation: str(entry.bind.propagation) } : undefined,
        volume: isDict(entry.volume) ? { nocopy: bool(entry.volume.nocopy) } : undefined,
        tmpfs: isDict(entry.tmpfs)
          ? { size: typeof entry.tmpfs.size === "number" ? entry.tmpfs.size : undefined }
          : undefined,
      };
    } else {
      fail(at("volumes", i), "invalid type for service volume");
    }
    if (volume.type === "bind") {
      if (!volume.source)
        fail(at("volumes", i), 'invalid mount config for type "bind": field Source must not be empty');
      const source = expandUser(volume.source, opts.lookup);
      volume.source = isAbsolutePath(source) ? source : absolutePath(opts.workingDir, source);
    }
    return volume;
  });
}

function loadFileReferences(v: ComposeValue | undefined): FileReferenceConfig[] {
  if (!Array.isArray(v)) return [];
  return v.map((entry) => {
    if (typeof entry === "string") return { source: entry };
    const d = isDict(entry) ? entry : {};
    const mode = d.mode === undefined || d.mode === null ? undefined : numberOf(d.mode);
    return {
      source: str(d.source) ?? "",
      target: str(d.target),
      uid: str(d.uid),
      gid: str(d.gid),
      mode: mode === undefined ? undefined : Math.trunc(mode),
    };
  });
}

function loadHealthcheck(
  v: ComposeValue | undefined,
  at: (...p: (string | number)[]) => (string | number)[],
): HealthCheckSource | undefined {
  if (!isDict(v)) return undefined;
  const test = v.test;
  return {
    test: typeof test === "string" ? ["CMD-SHELL", test] : Array.isArray(test) ? stringList(test) : undefined,
    timeout: duration(v.timeout, at("healthcheck", "timeout")),
    interval: duration(v.interval, at("healthcheck", "interval")),
    retries: uint(v.retries, at("healthcheck", "retries")),
    startPeriod: duration(v.start_period, at("healthcheck", "start_period")),
    startInterval: duration(v.start_interval, at("healthcheck", "start_interval")),
    disable: bool(v.disable),
  };
}

function loadUlimits(v: ComposeValue | undefined): ServiceConfig["ulimits"] {
  const out: ServiceConfig["ulimits"] = {};
  if (!isDict(v)) return out;
  for (const [name, u] of Object.entries(v)) {
    if (typeof u === "number") out[name] = { single: u };
    else if (isDict(u)) out[name] = { soft: numberOf(u.soft ?? 0) ?? 0, hard: numberOf(u.hard ?? 0) ?? 0 };
  }
  return out;
}

/** `extra_hosts` as `host:ip` entries: a list accepts `host=ip` and `host:ip`, a dict is sorted. */
function loadExtraHosts(v: ComposeValue | undefined): string[] {
  let entries: string[] = [];
  if (isDict(v)) {
    entries = Object.entries(v)
      .filter(([, ip]) => ip !== null)
      .map(([host, ip]) => `${host}:${goString(ip)}`)
      .sort();
  } else if (Array.isArray(v)) {
    for (const item of v) {
      const s = goString(item);
      const sep = s.includes("=") ? "=" : s.includes(":") ? ":" : undefined;
      if (!sep) continue;
      const i = s.indexOf(sep);
      entries.push(`${s.slice(0, i)}:${s.slice(i + 1)}`);
    }
  }
  return entries.map((entry) => {
    const i = entry.indexOf(":");
    const host = i < 0 ? entry : entry.slice(0, i);
    let ip = i < 0 ? "" : entry.slice(i + 1);
    if (ip.length > 2 && ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
    return `${host}:${ip}`;
  });
}

function loadNetworks(
  source: ComposeDict,
  version: string,
  warnings: string[],
): Record<string, NetworkConfig> {
  const out: Record<string, NetworkConfig> = {};
  for (const name of Object.keys(source).sort()) {
    const n = isDict(source[name]) ? (source[name] as ComposeDict) : {};
    const ipam = isDict(n.ipam) ? n.ipam : {};
    const network: NetworkConfig = {
      name: str(n.name),
      driver: str(n.driver),
      driverOpts: stringMap(n.driver_opts),
      ipam: {
        driver: str(ipam.driver),
        config: Array.isArray(ipam.config)
          ? ipam.config.map((c) => ({ subnet: isDict(c) ? str(c.subnet) : undefined }))
          : undefined,
      },
      external: external(n.external),
      internal: bool(n.internal),
      attachable: bool(n.attachable),
      labels: n.labels === undefined || n.labels === null ? undefined : mappingOrList(n.labels, "=", false),
    };
    resolveExternal("network", "networks", name, network, 5, version, warnings);
    out[name] = network;
  }
  return out;
}

function versionAtLeast(version: string, minor: number): boolean {
  return Number(version.split(".")[1] ?? "0") >= minor;
}

/** Docker's rules for an external object: `external.name` (deprecated) or `name`, else the key. */
function resolveExternal(
  kind: string,
  section: string,
  key: string,
  obj: { name?: string; external: External },
  deprecatedFrom: number,
  version: string,
  warnings: string[],
): void {
  if (!obj.external.external) return;
  if (obj.external.name) {
    if (obj.name) {
      fail(
        [section, key],
        `${kind} ${key}: ${kind}.external.name and ${kind}.name conflict; only use ${kind}.name`,
      );
    }
    if (versionAtLeast(version, deprecatedFrom)) {
      warnings.push(`${kind} ${key}: ${kind}.external.name is deprecated in favor of ${kind}.name`);
    }
    obj.name = obj.external.name;
    obj.external = { external: true };
  } else if (!obj.name) {
    obj.name = key;
  }
}

function loadVolumes(source: ComposeDict, version: string, warnings: string[]): Record<string, VolumeConfig> {
  const out: Record<string, VolumeConfig> = {};
  for (const name of Object.keys(source).sort()) {
    const v = isDict(source[name]) ? (source[name] as ComposeDict) : {};
    const volume: VolumeConfig = {
      name: str(v.name),
      driver: str(v.driver),
      driverOpts: stringMap(v.driver_opts),
      external: external(v.external),
      labels: v.labels === undefined || v.labels === null ? undefined : mappingOrList(v.labels, "=", false),
    };
    if (volume.external.external) {
      const conflict = volume.driver
        ? "driver"
        : volume.driverOpts && Object.keys(volume.driverOpts).length > 0
          ? "driver_opts"
          : volume.labels && Object.keys(volume.labels).length > 0
            ? "labels"
            : undefined;
      if (conflict) fail(["volumes", name], `conflicting parameters "external" and "${conflict}" specified`);
    }
    resolveExternal("volume", "volumes", name, volume, 4, version, warnings);
    out[name] = volume;
  }
  return out;
}

function loadFileObjects(
  source: ComposeDict,
  kind: "secret" | "config",
  version: string,
  opts: LoadOptions,
  warnings: string[],
): Record<string, FileObjectConfig> {
  const out: Record<string, FileObjectConfig> = {};
  const section = kind === "secret" ? "secrets" : "configs";
  for (const name of Object.keys(source).sort()) {
    const o = source[name] as ComposeDict;
    const obj: FileObjectConfig = {
      name: str(o.name),
      file: str(o.file),
      external: external(o.external),
      labels: o.labels === undefined || o.labels === null ? undefined : mappingOrList(o.labels, "=", false),
      driver: str(o.driver),
      driverOpts: stringMap(o.driver_opts),
      templateDriver: str(o.template_driver),
    };
    if (obj.external.external) {
      resolveExternal(kind, section, name, obj, 5, version, warnings);
    } else if (obj.driver) {
      if (obj.file)
        fail([section, name], `${kind}.driver and ${kind}.file conflict; only use ${kind}.driver`);
    } else {
      obj.file = absolutePath(opts.workingDir, obj.file ?? "");
    }
    out[name] = obj;
  }
  return out;
}
