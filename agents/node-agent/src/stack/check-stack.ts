import { PhoenixError } from "@phoenix/errors";
import {
  type MessageInitShape,
  type StackCheck,
  type StackCheckCommand,
  type StackCheckResultSchema,
  toErrorInfo,
} from "@phoenix/proto";
import { diffServiceSpec, LABEL_PHOENIX_ENVIRONMENT } from "@phoenix/stacks";
import type Dockerode from "dockerode";
import { changesOutside, specFingerprint, WHOLE_SPEC } from "./drift";
import {
  createEngine,
  type Engine,
  type EngineNetwork,
  type EngineNode,
  type EngineObject,
  type EngineService,
} from "./engine";
import { isSharedNetwork, isStackNetwork, NAMESPACE_LABEL, SPEC_HASH_LABEL } from "./labels";
import { pushTo } from "./multimap";
import {
  addressesNeeded,
  capacityNote,
  composeSubnetSetting,
  environmentSubnetSetting,
  indexNodes,
  schedulableNodes,
  servicesByNetwork,
} from "./network-capacity";
import { subnetChange, wantedSubnet } from "./network-subnet";
import { planObjects } from "./object-versions";
import { checkNamespace, readAsManager } from "./preflight";
import {
  networkRefs,
  type ObjectRef,
  objectRefs,
  objectsByName,
  resolveServiceSpec,
  serviceHash,
} from "./resolve-service";
import { parseStackSpecs, type ServiceSpec, type StackSpecs } from "./stack-specs";

type StackCheckResultInit = MessageInitShape<typeof StackCheckResultSchema>;

/** What the swarm holds of a stack: the namespace's services, and every network, secret and config. */
export interface StackState {
  services: readonly EngineService[];
  networks: readonly EngineNetwork[];
  secrets: readonly EngineObject[];
  configs: readonly EngineObject[];
}

/** What a check reads besides: the nodes and Swarm's subnet prefix, for the shared networks' capacity. */
export interface SwarmState extends StackState {
  nodes?: readonly EngineNode[];
  /** Prefix of the subnet Swarm gives a network created without one. */
  subnetSize?: number;
}

/** The reads a StackState is made of, started at once: the services of `ns` (of every namespace without it), then every network, secret and config. */
export function stateReads(engine: Engine, ns?: string) {
  return [
    engine.listServices(ns),
    engine.listNetworks(),
    engine.listObjects("secret"),
    engine.listObjects("config"),
  ] as const;
}

/**
 * Compares stacks' specs with what the swarm runs, reading it once and writing nothing: per stack,
 * one line per thing an apply of the same specs would change (see stackDifferences), or why it
 * could not be compared.
 */
export async function checkStacks(
  docker: Dockerode,
  cmd: StackCheckCommand,
  signal: AbortSignal,
): Promise<StackCheckResultInit> {
  const place = { command: "stack_check" };
  const engine = createEngine(docker, signal, place);
  const { reads } = await readAsManager(
    engine,
    place,
    Promise.all([...stateReads(engine), engine.listNodes(), engine.subnetSize()]),
  );
  const [services, networks, secrets, configs, nodes, subnetSize] = await reads;
  return compareStacks(cmd.stacks, { services, networks, secrets, configs, nodes, subnetSize }, cmd.removing);
}

/** What the comparisons read of the swarm, indexed once for every stack of a check. */
export interface SwarmIndex {
  /** Services by stack namespace. */
  services: ReadonlyMap<string, readonly EngineService[]>;
  /** Networks by name and id (networkRefs). */
  networks: ReadonlyMap<string, ObjectRef>;
  /** Networks of one stack alone (not shared), by namespace. */
  stackNetworks: ReadonlyMap<string, readonly EngineNetwork[]>;
  /** Shared (environment) networks, by name. */
  sharedNetworks: ReadonlyMap<string, EngineNetwork>;
  secrets: readonly EngineObject[];
  configs: readonly EngineObject[];
  secretsByName: ReadonlyMap<string, ObjectRef>;
  configsByName: ReadonlyMap<string, ObjectRef>;
}

/** Indexes what the swarm holds (every service of every namespace) for stackDifferences. */
export function indexSwarm(swarm: StackState): SwarmIndex {
  const group = <T>(items: readonly T[], nsOf: (item: T) => string | undefined) => {
    const out = new Map<string, T[]>();
    for (const item of items) {
      const ns = nsOf(item);
      if (ns) pushTo(out, ns, item);
    }
    return out;
  };
  return {
    services: group(swarm.services, (s) => s.Spec.Labels?.[NAMESPACE_LABEL]),
    networks: networkRefs(swarm.networks),
    stackNetworks: group(swarm.networks, (n) => {
      const ns = n.Labels?.[NAMESPACE_LABEL];
      return ns && isStackNetwork(n.Labels ?? undefined, ns) ? ns : undefined;
    }),
    sharedNetworks: new Map(
      swarm.networks.filter((n) => isSharedNetwork(n.Labels ?? undefined)).map((n) => [n.Name, n]),
    ),
    secrets: swarm.secrets,
    configs: swarm.configs,
    secretsByName: objectsByName(swarm.secrets),
    configsByName: objectsByName(swarm.configs),
  };
}

/** The answer to a StackCheckCommand from what the swarm holds (every service of every namespace). */
export function compareStacks(
  stacks: readonly (Pick<StackCheck, "namespace" | "specsJson" | "prune"> &
    Partial<Pick<StackCheck, "fingerprints" | "notesOnly">>)[],
  swarm: SwarmState,
  removing: readonly string[] = [],
): StackCheckResultInit {
  const index = indexSwarm(swarm);
  const parsed = stacks.map((c) => {
    try {
      const ns = checkNamespace(c.namespace);
      return { ns, specs: parseStackSpecs(c.specsJson, ns) };
    } catch (err) {
      return PhoenixError.from(err);
    }
  });
  const capacity = capacityNotes(
    parsed.flatMap((p) => (p instanceof PhoenixError ? [] : [p])),
    swarm,
    removing,
  );
  return {
    stacks: stacks.map((c, i) => {
      const p = parsed[i] as (typeof parsed)[number];
      if (p instanceof PhoenixError) return { namespace: c.namespace, error: toErrorInfo(p) };
      const { ns, specs } = p;
      const notes = [
        ...stackNotes(specs, index),
        ...specs.networks.flatMap((n) => capacity.get(n.Name) ?? []),
      ];
      if (c.notesOnly) return { namespace: c.namespace, notes };
      try {
        const differences = stackDifferences(specs, ns, index, c.prune, c.fingerprints);
        // Without fingerprints to compare, a stack the swarm runs as its specs say gets its own.
        const baseline =
          differences.length === 0 && Object.keys(c.fingerprints ?? {}).length === 0
            ? Object.fromEntries(
                (index.services.get(ns) ?? []).map((s) => [s.Spec.Name, specFingerprint(s.Spec)]),
              )
            : {};
        return { namespace: c.namespace, differences, fingerprints: baseline, notes };
      } catch (err) {
        return { namespace: c.namespace, error: toErrorInfo(PhoenixError.from(err)) };
      }
    }),
  };
}

/** What `specs` ask for and an apply cannot change: a shared network's subnet (subnetChange). */
export function stackNotes(specs: StackSpecs, swarm: SwarmIndex): string[] {
  return specs.networks.flatMap((n) => {
    const current = swarm.sharedNetworks.get(n.Name);
    const line = current && subnetChange(n, current);
    return line ? [`network ${n.Name}: ${line}`] : [];
  });
}

/**
 * By network name, what to say when the stacks of a check, with every other service that joins
 * the network (any namespace but theirs and those the plan removes, services outside Phoenix too),
 * fill or nearly fill its subnet (capacityNote): an environment network, or a stack's own (a
 * global service on a few hundred guests fills a /24 alone). Nothing without the swarm's nodes.
 */
export function capacityNotes(
  stacks: readonly { ns: string; specs: StackSpecs }[],
  swarm: Pick<SwarmState, "services" | "networks" | "nodes" | "subnetSize">,
  removing: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  if (!swarm.nodes) return out;
  const replaced = new Set([...stacks.map((s) => s.ns), ...removing]);
  const services: unknown[] = [
    ...swarm.services.filter((s) => !replaced.has(s.Spec.Labels?.[NAMESPACE_LABEL] ?? "")).map((s) => s.Spec),
    ...stacks.flatMap((s) => s.specs.services),
  ];
  const nodes = indexNodes(schedulableNodes(swarm.nodes));
  const joining = servicesByNetwork(services);
  const existing = new Map(swarm.networks.filter((n) => n.Scope === "swarm").map((n) => [n.Name, n]));
  const counted = new Set<string>();
  for (const { ns, specs } of stacks) {
    for (const spec of specs.networks) {
      if (counted.has(spec.Name) || (spec.Driver ?? "overlay") !== "overlay") continue;
      counted.add(spec.Name);
      const env = spec.Labels?.[LABEL_PHOENIX_ENVIRONMENT];
      const raise = env
        ? environmentSubnetSetting(env)
        : composeSubnetSetting(spec.Name.startsWith(`${ns}_`) ? spec.Name.slice(ns.length + 1) : spec.Name);
      const current = existing.get(spec.Name);
      const network = { Id: current?.Id ?? spec.Name, Name: spec.Name };
      const subnet = current?.IPAM?.Config?.[0]?.Subnet ?? wantedSubnet(spec);
      const line = capacityNote(
        raise,
        { subnet, exists: current !== undefined, defaultPrefix: swarm.subnetSize ?? 24 },
        addressesNeeded(
          network,
          [...new Set([...(joining.get(network.Id) ?? []), ...(joining.get(network.Name) ?? [])])],
          nodes,
        ),
      );
      if (line) out.set(spec.Name, `network ${spec.Name}: ${line}`);
    }
  }
  return out;
}

/**
 * What an apply of `specs` would change in the swarm, by the same rules as the apply: a declared
 * network, secret, config or service that is missing; a secret or config whose content differs; a
 * service whose stored spec hash differs, whose image or replicas someone changed outside Phoenix,
 * or which no longer has the fingerprint in `fingerprints` (the last apply's, by service name);
 * with `prune`, what the namespace holds that the specs no longer declare. Empty when an apply
 * would write nothing.
 */
export function stackDifferences(
  specs: StackSpecs,
  ns: string,
  swarm: SwarmIndex,
  prune: boolean,
  fingerprints: Readonly<Record<string, string>> = {},
): string[] {
  const out: string[] = [];
  for (const n of specs.networks) if (!swarm.networks.has(n.Name)) out.push(`network ${n.Name}: missing`);
  const objects = {
    secret: planObjects("secret", specs.secrets, swarm.secrets, ns),
    config: planObjects("config", specs.configs, swarm.configs, ns),
  };
  for (const [kind, plan] of Object.entries(objects)) {
    for (const v of plan.versions) {
      if (v.create)
        out.push(`${kind} ${v.declared}: ${v.name === v.declared ? "missing" : "content differs"}`);
    }
  }
  const refs = {
    networks: swarm.networks,
    secrets: objectRefs(objects.secret, swarm.secretsByName),
    configs: objectRefs(objects.config, swarm.configsByName),
  };
  const services = swarm.services.get(ns) ?? [];
  const byName = new Map(services.map((s) => [s.Spec.Name, s]));
  for (const spec of specs.services) {
    const svc = byName.get(spec.Name);
    if (!svc) {
      out.push(`service ${spec.Name}: missing`);
      continue;
    }
    let body: typeof spec;
    try {
      body = resolveServiceSpec(spec, refs, ns);
    } catch {
      continue; // it points at a network, secret or config named above as missing
    }
    const drifted = changesOutside(svc.Spec, body, fingerprints[spec.Name]);
    if (serviceHash(svc.Spec) !== serviceHash(body))
      out.push(`service ${spec.Name}: differs from its specs${inFields(fieldPaths(body, svc.Spec))}`);
    else if (drifted[0] === WHOLE_SPEC)
      out.push(`service ${spec.Name}: changed outside Phoenix${inFields(fieldPaths(body, svc.Spec))}`);
    else if (drifted.length > 0)
      out.push(`service ${spec.Name}: ${drifted.join(", ")} changed outside Phoenix`);
  }
  if (!prune) return out;
  const declared = {
    service: new Set(specs.services.map((s) => s.Name)),
    network: new Set(specs.networks.map((n) => n.Name)),
  };
  for (const svc of services)
    if (!declared.service.has(svc.Spec.Name)) out.push(`service ${svc.Spec.Name}: no longer declared`);
  for (const n of swarm.stackNetworks.get(ns) ?? [])
    if (!declared.network.has(n.Name)) out.push(`network ${n.Name}: no longer declared`);
  for (const [kind, plan] of Object.entries(objects))
    for (const o of plan.undeclared) out.push(`${kind} ${o.Spec.Name}: no longer declared`);
  return out;
}

/** Most fields named for one service; the rest are counted. */
const FIELDS_NAMED = 4;

/**
 * Where the stored spec and the wanted one differ, by field path only (`TaskTemplate.ContainerSpec.Env`).
 * Values are never shown: an environment variable may hold a password, and these lines reach
 * plans, logs and events.
 */
export function fieldPaths(wanted: ServiceSpec, stored: EngineService["Spec"]): string[] {
  const paths = diffServiceSpec(wanted as never, stored as never)
    .map((d) => d.path.replace(/\[\d+\]/g, ""))
    .filter((p) => p !== `Labels.${SPEC_HASH_LABEL}`);
  return [...new Set(paths)];
}

/** " in A, B, C, D, and 2 more", or "" for no paths. */
export function inFields(paths: readonly string[]): string {
  if (paths.length === 0) return "";
  const more = paths.length > FIELDS_NAMED ? `, and ${paths.length - FIELDS_NAMED} more` : "";
  return ` in ${paths.slice(0, FIELDS_NAMED).join(", ")}${more}`;
}
