import { PhoenixError } from "@phoenix/errors";
import {
  type MessageInitShape,
  type StackCheckCommand,
  type StackCheckResultSchema,
  toErrorInfo,
} from "@phoenix/proto";
import type Dockerode from "dockerode";
import { driftedFields } from "./drift";
import {
  createEngine,
  type Engine,
  type EngineNetwork,
  type EngineObject,
  type EngineService,
} from "./engine";
import { isStackNetwork, NAMESPACE_LABEL } from "./labels";
import { planObjects } from "./object-versions";
import { checkNamespace, readAsManager } from "./preflight";
import { networkRefs, objectRefs, resolveServiceSpec, serviceHash } from "./resolve-service";
import { parseStackSpecs, type StackSpecs } from "./stack-specs";

type StackCheckResultInit = MessageInitShape<typeof StackCheckResultSchema>;

/** What the swarm holds of a stack: the namespace's services, and every network, secret and config. */
export interface StackState {
  services: readonly EngineService[];
  networks: readonly EngineNetwork[];
  secrets: readonly EngineObject[];
  configs: readonly EngineObject[];
}

/** The reads of a stack's StackState, in its order, as they start (every service with no namespace). */
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
  const { reads } = await readAsManager(engine, place, Promise.all(stateReads(engine)));
  const [services, networks, secrets, configs] = await reads;
  const byNamespace = new Map<string, EngineService[]>();
  for (const s of services) {
    const ns = s.Spec.Labels?.[NAMESPACE_LABEL];
    if (ns) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), s]);
  }
  return {
    stacks: cmd.stacks.map((c) => {
      try {
        const ns = checkNamespace(c.namespace);
        const specs = parseStackSpecs(c.specsJson, ns);
        const state = { services: byNamespace.get(ns) ?? [], networks, secrets, configs };
        return { namespace: c.namespace, differences: stackDifferences(specs, ns, state, c.prune) };
      } catch (err) {
        return { namespace: c.namespace, error: toErrorInfo(PhoenixError.from(err)) };
      }
    }),
  };
}

/**
 * What an apply of `specs` would change in the swarm, by the same rules as the apply: a declared
 * network, secret, config or service that is missing; a secret or config whose content differs; a
 * service whose stored spec hash differs, or whose image or replicas someone changed outside
 * Phoenix; with `prune`, what the namespace holds that the specs no longer declare. Empty when
 * an apply would write nothing.
 */
export function stackDifferences(
  specs: StackSpecs,
  ns: string,
  current: StackState,
  prune: boolean,
): string[] {
  const out: string[] = [];
  const networks = networkRefs(current.networks);
  for (const n of specs.networks) if (!networks.has(n.Name)) out.push(`network ${n.Name}: missing`);
  const objects = {
    secret: planObjects("secret", specs.secrets, current.secrets, ns),
    config: planObjects("config", specs.configs, current.configs, ns),
  };
  for (const [kind, plan] of Object.entries(objects)) {
    for (const v of plan.versions) {
      if (v.create)
        out.push(`${kind} ${v.declared}: ${v.name === v.declared ? "missing" : "content differs"}`);
    }
  }
  const refs = {
    networks,
    secrets: objectRefs(objects.secret, current.secrets),
    configs: objectRefs(objects.config, current.configs),
  };
  const byName = new Map(current.services.map((s) => [s.Spec.Name, s]));
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
    const drifted = driftedFields(svc.Spec, body);
    if (serviceHash(svc.Spec) !== serviceHash(body)) out.push(`service ${spec.Name}: differs from its specs`);
    else if (drifted.length > 0)
      out.push(`service ${spec.Name}: ${drifted.join(", ")} changed outside Phoenix`);
  }
  if (!prune) return out;
  const declared = {
    service: new Set(specs.services.map((s) => s.Name)),
    network: new Set(specs.networks.map((n) => n.Name)),
  };
  for (const svc of current.services)
    if (!declared.service.has(svc.Spec.Name)) out.push(`service ${svc.Spec.Name}: no longer declared`);
  for (const n of current.networks) {
    if (isStackNetwork(n.Labels ?? undefined, ns) && !declared.network.has(n.Name))
      out.push(`network ${n.Name}: no longer declared`);
  }
  for (const [kind, plan] of Object.entries(objects))
    for (const o of plan.undeclared) out.push(`${kind} ${o.Spec.Name}: no longer declared`);
  return out;
}
