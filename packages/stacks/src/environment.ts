import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { DEFAULT_NETWORK, DEFAULT_NETWORK_DRIVER } from "./compose";
import type { ComposeConfig, ServiceConfig } from "./compose-types";
import type { NetworkCreate, ServiceSpec } from "./engine-types";

/**
 * What rendering needs from a stack's `phoenix.json`. The model package owns the full schema
 * and its validation; this is the minimal shape read here.
 */
export interface StackManifest {
  description?: string;
  environments?: Record<string, EnvironmentManifest>;
}

/** `environments.<env>` of `phoenix.json`. */
export interface EnvironmentManifest {
  /** Interpolation variables of this environment (override `.env`, overridden by explicit ones). */
  variables?: Record<string, string>;
  services?: Record<string, ServiceOverlay>;
}

/** `environments.<env>.services.<service>` of `phoenix.json`. */
export interface ServiceOverlay {
  /** `["traefik.enable=true", ...]` or `{ "traefik.enable": "true" }`, added to deploy labels. */
  traefik_labels?: string[] | Record<string, string | number | boolean>;
  /** Appended to `deploy.placement.constraints`, e.g. `node.labels.gpu == true`. */
  placement_constraints?: string[];
  /** Replaces `deploy.replicas`. */
  replicas?: number;
  /** Merged over the service's environment (these win). */
  environment?: Record<string, string | number | boolean | null> | string[];
}

/** Prefix of the overlay network an environment's services share. */
export const ENVIRONMENT_NETWORK_PREFIX = "phoenix_env_";
/** Label marking a Docker object as created and owned by Phoenix (not by one stack). */
export const LABEL_PHOENIX_MANAGED = "phoenix.managed";
/** Label naming the environment a Phoenix-owned object belongs to. */
export const LABEL_PHOENIX_ENVIRONMENT = "phoenix.environment";
/** Label saying what a Phoenix-owned object is (`environment-network`). */
export const LABEL_PHOENIX_ROLE = "phoenix.role";

const NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

/** Checks an environment or stack name: letters, digits, `-`/`_` inside, as Swarm names need. */
export function validateName(kind: "environment" | "stack", name: string): void {
  if (!NAME.test(name)) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `invalid ${kind} name ${JSON.stringify(name)}: use letters and digits, with '-' or '_' only between them`,
    );
  }
}

/** Namespace of a stack deployed into an environment: `<env>_<stack>`. */
export function environmentNamespace(env: string, stack: string): string {
  validateName("environment", env);
  validateName("stack", stack);
  return `${env}_${stack}`;
}

/** Name of an environment's shared overlay network: `phoenix_env_<env>`. */
export function environmentNetworkName(env: string): string {
  return `${ENVIRONMENT_NETWORK_PREFIX}${env}`;
}

/**
 * The environment's overlay network. Every stack of the environment joins it and none owns it:
 * it carries Phoenix's labels instead of `com.docker.stack.namespace`, so removing or pruning one
 * stack never removes it, and Phoenix leaves it in place when the environment has no stack left
 * (a service outside Phoenix, such as a Traefik of another environment, may still use it). `subnet`
 * (etc/phoenix_cluster.json `environment_networks.<env>.subnet`) is its address range; without
 * one Swarm gives it a /24 from its pool.
 */
export function environmentNetwork(env: string, subnet?: string): NetworkCreate {
  return {
    Name: environmentNetworkName(env),
    Driver: DEFAULT_NETWORK_DRIVER,
    Labels: {
      [LABEL_PHOENIX_ENVIRONMENT]: env,
      [LABEL_PHOENIX_MANAGED]: "true",
      [LABEL_PHOENIX_ROLE]: "environment-network",
    },
    Attachable: true,
    ...(subnet ? { IPAM: { Driver: "default", Config: [{ Subnet: subnet }] } } : {}),
  };
}

/**
 * The name a service answers to on its environment network: `<service>.<stack>`, e.g.
 * `qdrant.qdrant_service`. Short names (`db`) stay on the stack's own networks: every stack of an
 * environment shares the environment network, so two stacks with a `db` would each resolve `db` to
 * both of them there. Docker also registers the full service name (`<env>_<stack>_<service>`) on
 * every network the service joins.
 */
export function environmentAlias(service: string, stack: string): string {
  return `${service}.${stack}`;
}

/**
 * Gives each service's attachment to the environment network the alias `environmentAlias` names,
 * and no other (the conversion gives every user-defined network the short service name).
 * `composeNames[i]` is the compose name of `services[i]`.
 */
export function scopeEnvironmentAliases(
  services: ServiceSpec[],
  composeNames: readonly string[],
  env: string,
  stack: string,
): ServiceSpec[] {
  const network = environmentNetworkName(env);
  return services.map((spec, i) => {
    const networks = spec.TaskTemplate.Networks;
    if (!networks?.some((n) => n.Target === network)) return spec;
    const alias = environmentAlias(composeNames[i] as string, stack);
    return {
      ...spec,
      TaskTemplate: {
        ...spec.TaskTemplate,
        Networks: networks.map((n) => (n.Target === network ? { ...n, Aliases: [alias] } : n)),
      },
    };
  });
}

/** Where and what an environment applies to a loaded compose file. */
export interface EnvironmentOptions {
  env: string;
  stack: string;
  manifest?: StackManifest;
  /** The manifest's file name, for error messages. */
  manifestFile?: string;
  /** Resolves value-less `environment` entries of the manifest, like compose's own. */
  lookup: (name: string) => string | undefined;
}

function manifestError(opts: EnvironmentOptions, path: string, message: string): PhoenixError {
  return new PhoenixError(ErrorCode.INVALID_MODEL, `${path}: ${message}`, {
    place: { file: opts.manifestFile, path, stack: opts.stack },
  });
}

/** The manifest's entry for `env`, or an error listing the environments it does define. */
export function environmentOf(opts: EnvironmentOptions): EnvironmentManifest {
  if (!opts.manifest) return {};
  const envs = opts.manifest.environments ?? {};
  const entry = envs[opts.env];
  if (!entry) {
    const known = Object.keys(envs).sort();
    throw manifestError(
      opts,
      `environments.${opts.env}`,
      `environment not defined${known.length ? ` (defined: ${known.join(", ")})` : ""}`,
    );
  }
  return entry;
}

function labelEntries(labels: ServiceOverlay["traefik_labels"]): [string, string][] {
  if (!labels) return [];
  if (Array.isArray(labels)) {
    return labels.map((l) => {
      const i = l.indexOf("=");
      return i < 0 ? [l, ""] : [l.slice(0, i), l.slice(i + 1)];
    });
  }
  return Object.entries(labels).map(([k, v]) => [k, String(v)]);
}

function overlayEnvironment(
  overlay: ServiceOverlay["environment"],
  lookup: (name: string) => string | undefined,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(overlay)) {
    for (const entry of overlay) {
      const i = entry.indexOf("=");
      if (i < 0) out[entry] = lookup(entry) ?? null;
      else out[entry.slice(0, i)] = entry.slice(i + 1);
    }
  } else if (overlay) {
    for (const [k, v] of Object.entries(overlay)) out[k] = v === null ? (lookup(k) ?? null) : String(v);
  }
  return out;
}

const TRAEFIK_DEFINITION =
  /^traefik\.(http|tcp|udp)\.(routers|services|middlewares|serverstransports)\.([^.]+)\./i;

/**
 * Makes the traefik router, service and middleware names of a stack unique per environment:
 * every name the stack defines becomes `<env>-<stack>-<name>`, in label keys and in references
 * (`...routers.x.service`, `...routers.x.middlewares`, `...middlewares.x.chain.middlewares`).
 * References with `@provider` and names the stack does not define are left alone.
 */
export function renameTraefikLabels(
  labelsByService: Record<string, string>[],
  prefix: string,
): Record<string, string>[] {
  const defined = new Set<string>();
  for (const labels of labelsByService) {
    for (const key of Object.keys(labels)) {
      const m = TRAEFIK_DEFINITION.exec(key);
      if (m) defined.add(`${m[1]?.toLowerCase()}.${m[2]?.toLowerCase()}.${m[3]}`);
    }
  }
  const rename = (protocol: string, kind: string, name: string) =>
    defined.has(`${protocol}.${kind}.${name}`) ? `${prefix}-${name}` : name;
  const renameList = (protocol: string, kind: string, value: string) =>
    value
      .split(",")
      .map((item) => {
        const name = item.trim();
        return name.includes("@") ? item : item.replace(name, rename(protocol, kind, name));
      })
      .join(",");
  return labelsByService.map((labels) => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(labels)) {
      const m = TRAEFIK_DEFINITION.exec(key);
      if (!m) {
        out[key] = value;
        continue;
      }
      const protocol = (m[1] as string).toLowerCase();
      const kind = (m[2] as string).toLowerCase();
      const name = m[3] as string;
      const rest = key.slice(m[0].length);
      const newKey = `${key.slice(0, m[0].length - name.length - 1)}${rename(protocol, kind, name)}.${rest}`;
      let newValue = value;
      const restLower = rest.toLowerCase();
      if (kind === "routers" && restLower === "service" && !value.includes("@")) {
        newValue = rename(protocol, "services", value.trim());
      } else if (kind === "routers" && restLower === "middlewares") {
        newValue = renameList(protocol, "middlewares", value);
      } else if (kind === "middlewares" && restLower === "chain.middlewares") {
        newValue = renameList(protocol, "middlewares", value);
      }
      out[newKey] = newValue;
    }
    return out;
  });
}

function hasTraefikLabels(labels: Record<string, string>): boolean {
  return Object.keys(labels).some((k) => k.toLowerCase().startsWith("traefik."));
}

/**
 * Applies an environment of `phoenix.json` to a loaded compose file: per-service traefik
 * labels, placement constraints, replicas and environment variables; every service also joins
 * the environment's network (besides its own), and traefik names are made unique per
 * environment with `traefik.swarm.network`/`traefik.docker.network` pointing at that network.
 */
export function applyEnvironment(
  config: ComposeConfig,
  opts: EnvironmentOptions,
): { config: ComposeConfig; warnings: string[] } {
  const env = environmentOf(opts);
  const overlays = env.services ?? {};
  const warnings: string[] = [];
  const names = new Set(config.services.map((s) => s.name));
  for (const name of Object.keys(overlays).sort()) {
    if (!names.has(name)) {
      throw manifestError(
        opts,
        `environments.${opts.env}.services.${name}`,
        `no service ${JSON.stringify(name)} in the compose file (services: ${[...names].join(", ")})`,
      );
    }
  }
  const networkName = environmentNetworkName(opts.env);
  const existing = config.networks[networkName];
  if (existing && !(existing.external.external && (existing.name ?? networkName) === networkName)) {
    throw new PhoenixError(
      ErrorCode.INVALID_COMPOSE,
      `networks.${networkName}: this name is reserved for the environment network of ${opts.env}`,
      { place: { path: `networks.${networkName}`, stack: opts.stack } },
    );
  }
  const networks = {
    ...config.networks,
    [networkName]: {
      name: networkName,
      ipam: {},
      external: { external: true },
      internal: false,
      attachable: false,
    },
  };

  const services: ServiceConfig[] = config.services.map((service) => {
    const overlay = overlays[service.name] ?? {};
    const path = `environments.${opts.env}.services.${service.name}`;
    const deploy = {
      ...service.deploy,
      labels: { ...service.deploy.labels },
      placement: { ...service.deploy.placement },
    };
    for (const [k, v] of labelEntries(overlay.traefik_labels)) deploy.labels[k] = v;
    if (overlay.placement_constraints?.length) {
      const constraints = [...(deploy.placement.constraints ?? [])];
      for (const c of overlay.placement_constraints) if (!constraints.includes(c)) constraints.push(c);
      deploy.placement.constraints = constraints;
    }
    if (overlay.replicas !== undefined) {
      if (!Number.isInteger(overlay.replicas) || overlay.replicas < 0) {
        throw manifestError(opts, `${path}.replicas`, "must be a whole number of 0 or more");
      }
      if (deploy.mode === "global" || deploy.mode === "global-job") {
        throw manifestError(
          opts,
          `${path}.replicas`,
          `service runs in ${deploy.mode} mode, which has no replica count`,
        );
      }
      deploy.replicas = overlay.replicas;
    }
    const joined = service.networks ?? { [DEFAULT_NETWORK]: null };
    for (const n of Object.keys(joined)) {
      const declared = config.networks[n];
      if (declared?.external.external && n !== networkName) {
        warnings.push(
          `service ${service.name} joins external network ${declared.name ?? n}, which other environments can join too`,
        );
      }
    }
    return {
      ...service,
      environment: { ...service.environment, ...overlayEnvironment(overlay.environment, opts.lookup) },
      deploy,
      networks: { ...joined, [networkName]: null },
    };
  });

  const renamed = renameTraefikLabels(
    services.map((s) => s.deploy.labels),
    `${opts.env}-${opts.stack}`,
  );
  services.forEach((service, i) => {
    const labels = renamed[i] as Record<string, string>;
    if (hasTraefikLabels(labels)) {
      for (const key of ["traefik.swarm.network", "traefik.docker.network"]) {
        if (labels[key] !== undefined && labels[key] !== networkName) {
          warnings.push(`service ${service.name}: ${key}=${labels[key]} replaced by ${networkName}`);
        }
        labels[key] = networkName;
      }
    }
    service.deploy.labels = labels;
  });
  return { config: { ...config, networks, services }, warnings };
}
