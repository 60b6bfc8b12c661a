import {
  addStackLabel,
  ConvertError,
  compareStrings,
  DEFAULT_NETWORK,
  LABEL_IMAGE,
  scope,
  sortedMap,
} from "./compose";
import type {
  ComposeConfig,
  DeployConfig,
  FileObjectConfig,
  FileReferenceConfig,
  HealthCheckSource,
  NetworkConfig,
  ServiceConfig,
  ServiceNetworkConfig,
  ServicePortConfig,
  UpdateConfigSource,
} from "./compose-types";
import type {
  ConfigReference,
  ContainerSpec,
  CredentialSpec,
  EndpointSpec,
  FileTarget,
  HealthConfig,
  NetworkAttachment,
  PortConfig,
  ResourceRequirements,
  RestartPolicy,
  SecretReference,
  ServiceMode,
  ServiceSpec,
  Ulimit,
  UpdateConfig,
} from "./engine-types";
import { parseNanoCpus } from "./go-units";
import { serviceImage } from "./image-reference";
import { convertVolumes } from "./volume";

const DEFAULT_FILE_MODE = 0o444;

/** A secret or config reference resolved against the stack's declarations. */
function fileReference(
  namespace: string,
  ref: FileReferenceConfig,
  declared: Record<string, FileObjectConfig>,
  kind: "secret" | "config",
): { name: string; file: FileTarget } {
  const obj = declared[ref.source];
  if (!obj) throw new Error(`undefined ${kind} "${ref.source}"`);
  return {
    name: obj.name || scope(namespace, ref.source),
    file: {
      Name: ref.target || ref.source,
      UID: ref.uid || "0",
      GID: ref.gid || "0",
      Mode: ref.mode ?? DEFAULT_FILE_MODE,
    },
  };
}

function byNameThenTarget<T extends { File?: FileTarget }>(name: (x: T) => string) {
  return (a: T, b: T) =>
    compareStrings(name(a), name(b)) || compareStrings(a.File?.Name ?? "", b.File?.Name ?? "");
}

/** `services.x.secrets` as secret references, sorted by secret name; duplicate targets are errors. */
export function convertServiceSecrets(
  namespace: string,
  refs: readonly FileReferenceConfig[],
  declared: Record<string, FileObjectConfig>,
): SecretReference[] {
  const targets = new Set<string>();
  const out = refs.map((ref) => {
    const r = fileReference(namespace, ref, declared, "secret");
    if (targets.has(r.file.Name)) throw new Error(`duplicate secret target for ${r.name} not allowed`);
    targets.add(r.file.Name);
    return { File: r.file, SecretName: r.name };
  });
  return out.sort(byNameThenTarget((x) => x.SecretName));
}

/**
 * `services.x.configs` as config references, sorted by config name, plus the runtime config of
 * a `credential_spec.config`; duplicate targets are errors.
 */
export function convertServiceConfigs(
  namespace: string,
  service: ServiceConfig,
  declared: Record<string, FileObjectConfig>,
): ConfigReference[] {
  const targets = new Set<string>();
  const out: ConfigReference[] = service.configs.map((ref) => {
    const r = fileReference(namespace, ref, declared, "config");
    if (targets.has(r.file.Name)) throw new Error(`duplicate config target for ${r.name} not allowed`);
    targets.add(r.file.Name);
    return { File: r.file, ConfigName: r.name };
  });
  const credentialConfig = service.credentialSpec.config;
  if (credentialConfig) {
    const obj = declared[credentialConfig];
    if (!obj) throw new Error(`undefined config "${credentialConfig}"`);
    const name = obj.name || scope(namespace, credentialConfig);
    if (!out.some((c) => c.ConfigName === name && c.Runtime)) out.push({ Runtime: {}, ConfigName: name });
  }
  return out.sort(byNameThenTarget((x) => x.ConfigName));
}

/** `host:ip` entries in Swarm's hosts-file form `ip host`, order kept. */
export function convertExtraHosts(extraHosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of extraHosts) {
    const i = entry.indexOf(":");
    if (i >= 0) out.push(`${entry.slice(i + 1)} ${entry.slice(0, i)}`);
  }
  return out;
}

/** Healthcheck with durations in nanoseconds; `disable: true` becomes `["NONE"]`. */
export function convertHealthcheck(h: HealthCheckSource | undefined): HealthConfig | undefined {
  if (!h) return undefined;
  if (h.disable) {
    if (h.test && h.test.length > 0) throw new Error("test and disable can't be set at the same time");
    return { Test: ["NONE"] };
  }
  const out: HealthConfig = {};
  if (h.test && h.test.length > 0) out.Test = [...h.test];
  if (h.interval) out.Interval = h.interval;
  if (h.timeout) out.Timeout = h.timeout;
  if (h.startPeriod) out.StartPeriod = h.startPeriod;
  if (h.startInterval) out.StartInterval = h.startInterval;
  if (h.retries) out.Retries = h.retries;
  return out;
}

/**
 * `deploy.restart_policy`, or else the legacy `restart:` (`always`/`unless-stopped` → any,
 * `on-failure[:n]` → on-failure with n attempts (0 = unlimited), `no` → none), as Docker
 * falls back to it.
 */
export function convertRestartPolicy(
  restart: string | undefined,
  policy: DeployConfig["restartPolicy"],
): RestartPolicy | undefined {
  if (policy) {
    const out: RestartPolicy = {};
    if (policy.condition) out.Condition = policy.condition;
    if (policy.delay !== undefined) out.Delay = policy.delay;
    if (policy.maxAttempts !== undefined) out.MaxAttempts = policy.maxAttempts;
    if (policy.window !== undefined) out.Window = policy.window;
    return out;
  }
  if (!restart) return undefined;
  const colon = restart.indexOf(":");
  const name = colon < 0 ? restart : restart.slice(0, colon);
  const count = colon < 0 ? "" : restart.slice(colon + 1);
  if (colon >= 0 && name === "")
    throw new Error("invalid restart policy format: no policy provided before colon");
  if (count !== "" && !/^[+-]?[0-9]+$/.test(count)) {
    throw new Error("invalid restart policy format: maximum retry count must be an integer");
  }
  const max = count === "" ? 0 : Number(count);
  switch (name) {
    case "no":
    case "":
      return undefined;
    case "always":
    case "unless-stopped":
      return { Condition: "any" };
    case "on-failure":
      if (max < 0) throw new Error("invalid restart policy: maximum retry count cannot be negative");
      return { Condition: "on-failure", MaxAttempts: max };
    default:
      throw new Error(`unknown restart policy: ${restart}`);
  }
}

/** `deploy.update_config`/`rollback_config`; parallelism defaults to 1 as in Docker. */
export function convertUpdateConfig(source: UpdateConfigSource | undefined): UpdateConfig | undefined {
  if (!source) return undefined;
  const out: UpdateConfig = { Parallelism: source.parallelism ?? 1 };
  if (source.delay) out.Delay = source.delay;
  if (source.failureAction) out.FailureAction = source.failureAction;
  if (source.monitor) out.Monitor = source.monitor;
  if (source.maxFailureRatio) out.MaxFailureRatio = source.maxFailureRatio;
  if (source.order) out.Order = source.order;
  return out;
}

function nanoCpus(cpus: string | undefined): number | undefined {
  if (!cpus) return undefined;
  const parsed = parseNanoCpus(cpus);
  if (typeof parsed !== "number") throw new Error(parsed.error);
  return parsed;
}

/** `deploy.resources` (CPUs in nano CPUs, memory in bytes, generic resources). */
export function convertResources(source: DeployConfig["resources"]): ResourceRequirements {
  const out: ResourceRequirements = {};
  if (source.limits) {
    const limits: NonNullable<ResourceRequirements["Limits"]> = {};
    const cpus = nanoCpus(source.limits.cpus);
    if (cpus) limits.NanoCPUs = cpus;
    if (source.limits.memory) limits.MemoryBytes = source.limits.memory;
    if (source.limits.pids) limits.Pids = source.limits.pids;
    out.Limits = limits;
  }
  if (source.reservations) {
    const reservations: NonNullable<ResourceRequirements["Reservations"]> = {};
    const cpus = nanoCpus(source.reservations.cpus);
    if (cpus) reservations.NanoCPUs = cpus;
    if (source.reservations.memory) reservations.MemoryBytes = source.reservations.memory;
    if (source.reservations.genericResources?.length) {
      reservations.GenericResources = source.reservations.genericResources.map((g) =>
        g.discreteResourceSpec
          ? {
              DiscreteResourceSpec: {
                Kind: g.discreteResourceSpec.kind,
                Value: g.discreteResourceSpec.value,
              },
            }
          : {},
      );
    }
    out.Reservations = reservations;
  }
  return out;
}

/** Ports (sorted by published port, stable) and the endpoint mode (lower-cased). */
export function convertEndpointSpec(
  endpointMode: string | undefined,
  ports: readonly ServicePortConfig[],
): EndpointSpec {
  const configs: PortConfig[] = ports.map((p) => ({
    ...(p.protocol ? { Protocol: p.protocol } : {}),
    TargetPort: p.target,
    ...(p.published ? { PublishedPort: p.published } : {}),
    ...(p.mode ? { PublishMode: p.mode } : {}),
  }));
  const sorted = configs
    .map((c, i) => [c, i] as const)
    .sort(([a, i], [b, j]) => (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0) || i - j)
    .map(([c]) => c);
  const out: EndpointSpec = {};
  if (endpointMode) out.Mode = endpointMode.toLowerCase();
  if (sorted.length > 0) out.Ports = sorted;
  return out;
}

/** Environment as a sorted `KEY=VALUE` list (`KEY` alone for a value-less entry). */
export function convertEnvironment(env: Record<string, string | null>): string[] {
  return Object.entries(env)
    .map(([k, v]) => (v === null ? k : `${k}=${v}`))
    .sort(compareStrings);
}

/** `deploy.mode` and `deploy.replicas` as a service mode, including the job modes. */
export function convertDeployMode(mode: string | undefined, replicas: number | undefined): ServiceMode {
  switch (mode ?? "") {
    case "global-job":
      if (replicas !== undefined)
        throw new Error("replicas can only be used with replicated or replicated-job mode");
      return { GlobalJob: {} };
    case "global":
      if (replicas !== undefined)
        throw new Error("replicas can only be used with replicated or replicated-job mode");
      return { Global: {} };
    case "replicated-job":
      return {
        ReplicatedJob: replicas === undefined ? {} : { MaxConcurrent: replicas, TotalCompletions: replicas },
      };
    case "replicated":
    case "":
      return { Replicated: replicas === undefined ? {} : { Replicas: replicas } };
    default:
      throw new Error(`unknown mode: ${mode}`);
  }
}

/** `dns` and `dns_search` as the container's DNS config; nothing when both are empty. */
export function convertDnsConfig(dns: readonly string[], search: readonly string[]) {
  if (dns.length === 0 && search.length === 0) return undefined;
  const out: NonNullable<ContainerSpec["DNSConfig"]> = {};
  if (dns.length > 0) out.Nameservers = [...dns];
  if (search.length > 0) out.Search = [...search];
  return out;
}

/** `credential_spec` (Windows): at most one of config, file, registry. */
export function convertCredentialSpec(
  namespace: string,
  spec: ServiceConfig["credentialSpec"],
  configs: readonly ConfigReference[],
): CredentialSpec | undefined {
  const set = (["Config", "File", "Registry"] as const).filter(
    (k) => spec[k.toLowerCase() as "config" | "file" | "registry"],
  );
  if (set.length === 0) return undefined;
  if (set.length > 1) {
    const names = set.map((s) => `"${s}"`);
    throw new Error(
      set.length === 2
        ? `invalid credential spec: cannot specify both ${names[0]} and ${names[1]}`
        : `invalid credential spec: cannot specify both ${names.slice(0, -1).join(", ")}, and ${names[names.length - 1]}`,
    );
  }
  if (spec.file) return { File: spec.file };
  if (spec.registry) return { Registry: spec.registry };
  const wanted = spec.config as string;
  const ref =
    configs.find((c) => c.ConfigName === wanted) ??
    configs.find((c) => c.ConfigName === scope(namespace, wanted));
  if (!ref) {
    throw new Error(
      `invalid credential spec: spec specifies config ${wanted}, but no such config can be found`,
    );
  }
  // Docker puts the config's id here; the id exists only once the config is created, so the
  // rendered spec names the config and whoever applies it swaps in the id.
  return { Config: ref.ConfigName };
}

/** `ulimits` sorted by name; a single number sets both soft and hard. */
export function convertUlimits(ulimits: ServiceConfig["ulimits"]): Ulimit[] {
  return Object.keys(ulimits)
    .sort(compareStrings)
    .map((name) => {
      const u = ulimits[name] as { single?: number; soft?: number; hard?: number };
      return u.single
        ? { Name: name, Soft: u.single, Hard: u.single }
        : { Name: name, Soft: u.soft ?? 0, Hard: u.hard ?? 0 };
    });
}

const NOT_USER_DEFINED = new Set(["default", "bridge", "host", "none"]);

/**
 * A service's network attachments, sorted by target: stack networks are `<namespace>_<name>`
 * (or their `name:`), and every user-defined network gets the service name as an alias.
 */
export function convertServiceNetworks(
  networks: Record<string, ServiceNetworkConfig | null> | undefined,
  declared: Record<string, NetworkConfig>,
  namespace: string,
  serviceName: string,
): NetworkAttachment[] {
  const entries = networks ?? { [DEFAULT_NETWORK]: null };
  const out: NetworkAttachment[] = [];
  for (const [name, cfg] of Object.entries(entries)) {
    const nw = declared[name];
    if (!nw && name !== DEFAULT_NETWORK) throw new Error(`undefined network "${name}"`);
    const target = nw?.name || scope(namespace, name);
    const attachment: NetworkAttachment = { Target: target };
    const aliases = [...(cfg?.aliases ?? [])];
    if (!NOT_USER_DEFINED.has(target) && !target.startsWith("container:")) aliases.push(serviceName);
    if (aliases.length > 0) attachment.Aliases = aliases;
    if (cfg?.driverOpts) attachment.DriverOpts = sortedMap(cfg.driverOpts);
    out.push(attachment);
  }
  return out.sort((a, b) => compareStrings(a.Target, b.Target));
}

/** Docker's rule for cap_add/cap_drop: upper-cased, `CAP_` prefixed, add wins, `ALL` trumps. */
export function effectiveCapabilities(add: readonly string[], drop: readonly string[]) {
  const normalize = (c: string) => {
    const u = c.trim().toUpperCase();
    return u === "ALL" || u === "RESET" || u.startsWith("CAP_") ? u : `CAP_${u}`;
  };
  let addSet = new Set(add.map(normalize));
  let dropSet = new Set(drop.map(normalize));
  if (addSet.has("ALL")) addSet = new Set(["ALL"]);
  if (dropSet.has("ALL")) dropSet = new Set(["ALL"]);
  const capDrop = [...dropSet].filter((c) => !addSet.has(c) && c !== "RESET").sort(compareStrings);
  const capAdd = [...addSet].filter((c) => c !== "RESET").sort(compareStrings);
  return { capAdd, capDrop };
}

/**
 * One compose service as the Engine API service spec `docker stack deploy` sends. Throws a
 * ConvertError naming `services.<name>` when the service cannot be converted.
 */
export function convertService(
  namespace: string,
  service: ServiceConfig,
  config: ComposeConfig,
): ServiceSpec {
  try {
    return buildService(namespace, service, config);
  } catch (e) {
    if (e instanceof ConvertError) throw e;
    throw new ConvertError(["services", service.name], (e as Error).message);
  }
}

function buildService(namespace: string, service: ServiceConfig, config: ComposeConfig): ServiceSpec {
  const secrets = convertServiceSecrets(namespace, service.secrets, config.secrets);
  const configs = convertServiceConfigs(namespace, service, config.configs);
  const image = service.image ?? "";
  let imageRef: string;
  try {
    imageRef = serviceImage(image);
  } catch (e) {
    throw new ConvertError(["services", service.name, "image"], (e as Error).message);
  }
  const container: ContainerSpec = {
    Image: imageRef,
    Labels: addStackLabel(namespace, service.labels),
  };
  if (service.entrypoint) container.Command = [...service.entrypoint];
  if (service.command) container.Args = [...service.command];
  if (service.hostname) container.Hostname = service.hostname;
  const env = convertEnvironment(service.environment);
  if (env.length > 0) container.Env = env;
  if (service.workingDir) container.Dir = service.workingDir;
  if (service.user) container.User = service.user;
  const credentialSpec = convertCredentialSpec(namespace, service.credentialSpec, configs);
  if (credentialSpec) container.Privileges = { CredentialSpec: credentialSpec };
  if (service.init !== undefined) container.Init = service.init;
  if (service.stopSignal) container.StopSignal = service.stopSignal;
  if (service.tty) container.TTY = true;
  if (service.stdinOpen) container.OpenStdin = true;
  if (service.readOnly) container.ReadOnly = true;
  const mounts = convertVolumes(service.volumes, config.volumes, namespace);
  if (mounts.length > 0) container.Mounts = mounts;
  if (service.stopGracePeriod !== undefined) container.StopGracePeriod = service.stopGracePeriod;
  const healthcheck = convertHealthcheck(service.healthcheck);
  if (healthcheck) container.Healthcheck = healthcheck;
  const hosts = convertExtraHosts(service.extraHosts);
  if (hosts.length > 0) container.Hosts = hosts;
  const dns = convertDnsConfig(service.dns, service.dnsSearch);
  if (dns) container.DNSConfig = dns;
  if (secrets.length > 0) container.Secrets = secrets;
  if (configs.length > 0) container.Configs = configs;
  if (service.isolation) container.Isolation = service.isolation;
  if (Object.keys(service.sysctls).length > 0) container.Sysctls = sortedMap(service.sysctls);
  const { capAdd, capDrop } = effectiveCapabilities(service.capAdd, service.capDrop);
  if (capAdd.length > 0) container.CapabilityAdd = capAdd;
  if (capDrop.length > 0) container.CapabilityDrop = capDrop;
  const ulimits = convertUlimits(service.ulimits);
  if (ulimits.length > 0) container.Ulimits = ulimits;

  const deploy = service.deploy;
  const spec: ServiceSpec = {
    Name: scope(namespace, service.name),
    Labels: addStackLabel(namespace, { ...deploy.labels, [LABEL_IMAGE]: image }),
    TaskTemplate: { ContainerSpec: container },
    Mode: convertDeployMode(deploy.mode, deploy.replicas),
  };
  const task = spec.TaskTemplate;
  const resources = convertResources(deploy.resources);
  if (resources.Limits || resources.Reservations) task.Resources = resources;
  const restart = convertRestartPolicy(service.restart, deploy.restartPolicy);
  if (restart) task.RestartPolicy = restart;
  const placement: NonNullable<ServiceSpec["TaskTemplate"]["Placement"]> = {};
  if (deploy.placement.constraints?.length) placement.Constraints = [...deploy.placement.constraints];
  if (deploy.placement.preferences?.length) {
    placement.Preferences = deploy.placement.preferences.map((p) => ({
      Spread: { SpreadDescriptor: p.spread ?? "" },
    }));
  }
  if (deploy.placement.maxReplicasPerNode) placement.MaxReplicas = deploy.placement.maxReplicasPerNode;
  if (Object.keys(placement).length > 0) task.Placement = placement;
  task.Networks = convertServiceNetworks(service.networks, config.networks, namespace, service.name);
  if (service.logging) {
    task.LogDriver = {};
    if (service.logging.driver) task.LogDriver.Name = service.logging.driver;
    if (service.logging.options) task.LogDriver.Options = sortedMap(service.logging.options);
  }
  const update = convertUpdateConfig(deploy.updateConfig);
  if (update) spec.UpdateConfig = update;
  const rollback = convertUpdateConfig(deploy.rollbackConfig);
  if (rollback) spec.RollbackConfig = rollback;
  const endpoint = convertEndpointSpec(deploy.endpointMode, service.ports);
  if (endpoint.Mode || endpoint.Ports) spec.EndpointSpec = endpoint;
  return spec;
}
