import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  ConvertError,
  convertConfigs,
  convertNetworks,
  convertSecrets,
  serviceNetworkNames,
} from "./compose";
import { loadCompose, type ReadFile } from "./compose-loader";
import { formatPath } from "./compose-schema";
import type { ComposeConfig } from "./compose-types";
import { parseComposeYaml } from "./compose-yaml";
import type { ConfigSpec, NetworkCreate, SecretSpec, ServiceSpec } from "./engine-types";
import { parseEnvFile } from "./env-file";
import {
  applyEnvironment,
  environmentNamespace,
  environmentNetwork,
  environmentNetworkName,
  environmentOf,
  type StackManifest,
  scopeEnvironmentAliases,
} from "./environment";
import { invalidSecretOrConfigName, invalidServiceOrNetworkName } from "./names";
import { convertService } from "./service";

/**
 * Revision of the rendering rules. Bumped when the same stack files render to other specs, so the
 * coordinator plans every deployment again once after an update (its deployment hashes include it).
 * 2: a service answers to `<service>.<stack>` on the environment network instead of its short name.
 */
export const RENDER_REVISION = 2;

/** Everything `renderStackSource` needs, already in memory (`renderStack` reads it from disk). */
export interface RenderInput {
  /** The compose file's text. */
  composeYaml: string;
  /** Name of the compose file, for error messages. */
  composeFile?: string;
  /** Absolute directory relative paths of the compose file are resolved against. */
  workingDir: string;
  /** Stack namespace; defaults to `<env>_<stack>` when `env` is given. */
  namespace?: string;
  /** Stack name; needed with `env`. */
  stack?: string;
  /** Environment of `manifest` to apply. */
  env?: string;
  /** Subnet of the environment's network (`environmentNetwork`), when the cluster sets one (else `clusterEnvironments`'). */
  environmentSubnet?: string;
  /**
   * The cluster's environments (with `env`), each with the subnet the cluster gives its network
   * (undefined for Docker's default). An external network of the compose file named after one of them
   * (`phoenix_env_dev1`, as Traefik joins every environment) is that environment's network: it is
   * rendered in `otherEnvironmentNetworks`, so a deploy creates it while that environment has no
   * stack yet instead of failing on it.
   */
  clusterEnvironments?: Readonly<Record<string, string | undefined>>;
  manifest?: StackManifest;
  manifestFile?: string;
  /** Interpolation variables; they win over the environment's and the `.env` file's. */
  variables?: Record<string, string>;
  /** Text of a `.env` file: the weakest source of variables. */
  dotEnv?: string;
  /** Reads env_file, secret and config files by absolute path. */
  readFile: ReadFile;
}

/** Names a stack uses but does not create. */
export interface ExternalRefs {
  networks: string[];
  secrets: string[];
  configs: string[];
  volumes: string[];
}

/** Engine API specs of a stack, in a stable order, plus warnings. */
export interface RenderedStack {
  namespace: string;
  /** Networks the stack creates and owns. */
  networks: NetworkCreate[];
  secrets: SecretSpec[];
  configs: ConfigSpec[];
  services: ServiceSpec[];
  /** The environment's shared network (present with `env`): ensured, never owned by the stack. */
  environmentNetwork?: NetworkCreate;
  /** Networks of other environments the stack joins (external in its compose file): ensured, never owned. */
  otherEnvironmentNetworks?: NetworkCreate[];
  /** Objects that must exist before the deploy (external in the compose file). */
  external: ExternalRefs;
  warnings: string[];
}

function variablesFrom(input: RenderInput): Record<string, string> {
  const vars: Record<string, string> = {};
  if (input.dotEnv !== undefined) {
    try {
      for (const { key, value } of parseEnvFile(input.dotEnv)) vars[key] = value;
    } catch (e) {
      throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `.env: ${(e as Error).message}`, {
        place: { file: ".env" },
      });
    }
  }
  if (input.env && input.manifest) {
    const env = environmentOf({
      env: input.env,
      stack: input.stack ?? "",
      manifest: input.manifest,
      manifestFile: input.manifestFile,
      lookup: () => undefined,
    });
    Object.assign(vars, env.variables ?? {});
  }
  Object.assign(vars, input.variables ?? {});
  return vars;
}

function resolveNamespace(input: RenderInput): string {
  if (input.env !== undefined) {
    if (input.stack === undefined) {
      throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "rendering an environment needs the stack name");
    }
    const ns = environmentNamespace(input.env, input.stack);
    if (input.namespace !== undefined && input.namespace !== ns) {
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `namespace ${input.namespace} does not match environment ${input.env} of stack ${input.stack} (${ns})`,
      );
    }
    return ns;
  }
  if (!input.namespace) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "a namespace is needed");
  const bad = invalidServiceOrNetworkName(input.namespace);
  if (bad) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `invalid namespace: ${bad}`);
  return input.namespace;
}

function externalRefs(config: ComposeConfig, externalNetworks: string[]): ExternalRefs {
  const names = (objs: Record<string, { external: { external: boolean }; name?: string }>) =>
    Object.entries(objs)
      .filter(([, o]) => o.external.external)
      .map(([key, o]) => o.name ?? key)
      .sort();
  const usedVolumes = new Set(config.services.flatMap((s) => s.volumes.map((v) => v.source)));
  return {
    networks: externalNetworks,
    secrets: names(config.secrets),
    configs: names(config.configs),
    volumes: names(Object.fromEntries(Object.entries(config.volumes).filter(([k]) => usedVolumes.has(k)))),
  };
}

function checkNames(rendered: RenderedStack, file: string | undefined): void {
  const problems: PhoenixError[] = [];
  const add = (path: string, message: string | undefined) => {
    if (message)
      problems.push(
        new PhoenixError(ErrorCode.INVALID_COMPOSE, `${path}: ${message}`, { place: { file, path } }),
      );
  };
  for (const s of rendered.services)
    add(`services.${s.Name.slice(rendered.namespace.length + 1)}`, invalidServiceOrNetworkName(s.Name));
  for (const n of rendered.networks) add("networks", invalidServiceOrNetworkName(n.Name));
  for (const s of rendered.secrets) add("secrets", invalidSecretOrConfigName(s.Name));
  for (const c of rendered.configs) add("configs", invalidSecretOrConfigName(c.Name));
  const first = problems[0];
  if (first) {
    throw new PhoenixError(first.code, first.message, {
      place: first.place,
      details: problems.length > 1 ? problems : undefined,
    });
  }
}

/**
 * Renders a compose file into the Engine API specs `docker stack deploy` would create for
 * `namespace`, optionally with an environment of `phoenix.json` applied. Pure apart from the
 * `readFile` callback. Throws a PhoenixError naming the file and key path on bad input.
 */
export function renderStackSource(input: RenderInput): RenderedStack {
  const namespace = resolveNamespace(input);
  const variables = variablesFrom(input);
  const lookup = (name: string) => (Object.hasOwn(variables, name) ? variables[name] : undefined);
  const dict = parseComposeYaml(input.composeYaml, input.composeFile);
  const loaded = loadCompose(dict, {
    file: input.composeFile,
    workingDir: input.workingDir,
    lookup,
    readFile: input.readFile,
  });
  let config = loaded.config;
  const warnings = [...loaded.warnings];
  if (input.env !== undefined) {
    const applied = applyEnvironment(config, {
      env: input.env,
      stack: input.stack as string,
      manifest: input.manifest,
      manifestFile: input.manifestFile,
      lookup,
    });
    config = applied.config;
    warnings.push(...applied.warnings);
  }
  try {
    const { networks, external } = convertNetworks(
      namespace,
      config.networks,
      serviceNetworkNames(config.services),
    );
    const rendered: RenderedStack = {
      namespace,
      networks,
      secrets: convertSecrets(namespace, config.secrets, input.readFile),
      configs: convertConfigs(namespace, config.configs, input.readFile),
      services: config.services.map((s) => convertService(namespace, s, config)),
      external: externalRefs(config, external),
      warnings,
    };
    if (input.env !== undefined) {
      const envNetwork = environmentNetwork(
        input.env,
        input.environmentSubnet ?? input.clusterEnvironments?.[input.env],
      );
      rendered.environmentNetwork = envNetwork;
      const others = Object.entries(input.clusterEnvironments ?? {})
        .filter(
          ([name]) => name !== input.env && rendered.external.networks.includes(environmentNetworkName(name)),
        )
        .map(([name, subnet]) => environmentNetwork(name, subnet));
      if (others.length > 0) rendered.otherEnvironmentNetworks = others;
      const ensured = new Set([envNetwork.Name, ...others.map((n) => n.Name)]);
      rendered.external.networks = rendered.external.networks.filter((n) => !ensured.has(n));
      rendered.services = scopeEnvironmentAliases(
        rendered.services,
        config.services.map((s) => s.name),
        input.env,
        input.stack as string,
      );
    }
    checkNames(rendered, input.composeFile);
    return rendered;
  } catch (e) {
    if (e instanceof ConvertError) {
      const path = formatPath(e.path);
      const service = e.path[0] === "services" ? String(e.path[1]) : undefined;
      throw new PhoenixError(ErrorCode.INVALID_COMPOSE, `${path}: ${e.message}`, {
        place: { file: input.composeFile, path, service },
      });
    }
    throw e;
  }
}

/** Deterministic JSON of a rendered stack (`phoenix stack render --json`). */
export function renderedStackJson(rendered: RenderedStack): string {
  return `${JSON.stringify(rendered, null, 2)}\n`;
}
