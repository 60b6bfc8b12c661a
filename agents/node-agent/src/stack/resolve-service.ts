import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { EngineNetwork, EngineObject } from "./engine";
import { SPEC_HASH_LABEL } from "./labels";
import type { ObjectPlan } from "./object-versions";
import { specHash } from "./spec-hash";
import type { ServiceSpec } from "./stack-specs";

/** A Docker object a service can point at, by the name the stack uses for it. */
export interface ObjectRef {
  /** Name of the Docker object. */
  name: string;
  /** Its id. */
  id: string;
}

/** Name → object lookup. */
export type RefLookup = Pick<ReadonlyMap<string, ObjectRef>, "get">;

/** Name → object lookups for the references inside a service spec. */
export interface ServiceRefs {
  networks: RefLookup;
  secrets: RefLookup;
  configs: RefLookup;
}

/** Every network by name and by id; a swarm-scoped network wins over a local one of the same name, as for Docker. */
export function networkRefs(existing: readonly EngineNetwork[]): Map<string, ObjectRef> {
  const refs = new Map<string, ObjectRef>();
  const ordered = [...existing].sort((a, b) => Number(a.Scope === "swarm") - Number(b.Scope === "swarm"));
  for (const n of ordered) {
    refs.set(n.Name, { name: n.Name, id: n.Id });
    refs.set(n.Id, { name: n.Name, id: n.Id });
  }
  return refs;
}

/** Every secret (or config) by name. */
export function objectsByName(existing: readonly EngineObject[]): Map<string, ObjectRef> {
  return new Map(existing.map((o) => [o.Spec.Name, { name: o.Spec.Name, id: o.ID }]));
}

/**
 * Every secret (or config) by name (`byName`, from objectsByName), except that each one the stack
 * declares is the object holding its content; a declared one with no such object yet (one to
 * create) is not found.
 */
export function objectRefs(plan: ObjectPlan, byName: ReadonlyMap<string, ObjectRef>): RefLookup {
  const declared = new Map<string, ObjectRef | undefined>(
    plan.versions.map((v) => [v.declared, v.id ? { name: v.name, id: v.id } : undefined]),
  );
  return { get: (name) => (declared.has(name) ? declared.get(name) : byName.get(name)) };
}

type NetworkAttachment = { Target: string; [k: string]: unknown };

/**
 * Turns a rendered service spec into the body Docker gets, as `docker stack deploy` does: network
 * targets become network ids, secret and config references get the id (and the current versioned
 * name) of the object holding their content. The spec's hash is stored in a label so a later apply
 * can tell "unchanged" without comparing against the defaults Docker fills in.
 */
export function resolveServiceSpec(spec: ServiceSpec, refs: ServiceRefs, ns: string): ServiceSpec {
  const out = structuredClone(spec);
  const place = { stack: ns, service: spec.Name };
  const lookup = (kind: "network" | "secret" | "config", map: RefLookup, name: string) => {
    const found = map.get(name);
    if (!found) {
      throw new PhoenixError(
        ErrorCode.NOT_FOUND,
        `${kind} ${name} is neither declared by the stack nor present in the swarm`,
        {
          place,
        },
      );
    }
    return found;
  };
  const resolveNetworks = (list: NetworkAttachment[] | undefined) =>
    list?.map((n) => ({ ...n, Target: lookup("network", refs.networks, n.Target).id }));

  out.TaskTemplate.Networks = resolveNetworks(out.TaskTemplate.Networks);
  if (out.Networks) out.Networks = resolveNetworks(out.Networks);
  const container = out.TaskTemplate.ContainerSpec;
  if (container?.Secrets) {
    container.Secrets = container.Secrets.map((s) => {
      const ref = lookup("secret", refs.secrets, s.SecretName);
      return { ...s, SecretName: ref.name, SecretID: ref.id };
    });
  }
  if (container?.Configs) {
    container.Configs = container.Configs.map((c) => {
      const ref = lookup("config", refs.configs, c.ConfigName);
      return { ...c, ConfigName: ref.name, ConfigID: ref.id };
    });
  }
  const labels = { ...out.Labels };
  delete labels[SPEC_HASH_LABEL];
  out.Labels = { ...labels, [SPEC_HASH_LABEL]: specHash({ ...out, Labels: labels }) };
  return out;
}

/** The hash label of a resolved service spec. */
export function serviceHash(spec: { Labels?: Record<string, string> }): string | undefined {
  return spec.Labels?.[SPEC_HASH_LABEL];
}
