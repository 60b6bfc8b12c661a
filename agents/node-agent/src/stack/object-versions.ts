import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { EngineObject } from "./engine";
import { inNamespace, SPEC_HASH_LABEL } from "./labels";
import { specHash } from "./spec-hash";
import type { ObjectSpec } from "./stack-specs";

/** Where a declared secret or config lives in Docker: an object to reuse, or one to create. */
export interface ObjectVersion {
  /** Name the stack declares (what services reference). */
  declared: string;
  /** Name of the Docker object that holds the declared content. */
  name: string;
  /** Id of that object; absent until it is created. */
  id?: string;
  /** Body to create it with (namespace and hash labels included); absent when it exists. */
  create?: ObjectSpec;
}

/** What to do with the secrets (or configs) of a stack. */
export interface ObjectPlan {
  /** One entry per declared object, in spec order. */
  versions: ObjectVersion[];
  /** Objects of the namespace holding an old content of a declared object (rotated out). */
  replaced: EngineObject[];
  /** Objects of the namespace the stack no longer declares (removed when pruning). */
  undeclared: EngineObject[];
}

/** Hash of a secret or config's content and settings, everything but its name. */
export function objectHash(spec: ObjectSpec): string {
  const { Name: _name, Labels, ...rest } = spec;
  const labels = { ...Labels };
  delete labels[SPEC_HASH_LABEL];
  return specHash({ ...rest, Labels: labels });
}

/** Name of the version of `declared` holding content with hash `hash`: `<declared>-<hash8>`. */
export function versionedName(declared: string, hash: string): string {
  return `${declared}-${hash.slice(0, 8)}`;
}

/**
 * Matches declared secrets or configs with the existing objects. Swarm objects are immutable, so
 * content that changed gets a new object: the declared name while it is free, `<name>-<hash8>`
 * otherwise; the object holding the old content then ends up in `replaced`.
 * `existing` is every object of that kind in the swarm; only those of namespace `ns` are ever unused.
 */
export function planObjects(
  kind: "secret" | "config",
  declared: readonly ObjectSpec[],
  existing: readonly EngineObject[],
  ns: string,
): ObjectPlan {
  const byName = new Map(existing.map((o) => [o.Spec.Name, o]));
  const used = new Set<string>();
  const versions = declared.map((spec): ObjectVersion => {
    const hash = objectHash(spec);
    const versioned = versionedName(spec.Name, hash);
    for (const name of [spec.Name, versioned]) {
      const found = byName.get(name);
      if (found && found.Spec.Labels?.[SPEC_HASH_LABEL] === hash) {
        used.add(found.ID);
        return { declared: spec.Name, name, id: found.ID };
      }
    }
    const name = byName.has(spec.Name) ? versioned : spec.Name;
    if (byName.has(name)) {
      throw new PhoenixError(
        ErrorCode.CONFLICT,
        `${kind} ${name} exists with other content and was not made by Phoenix; remove it or rename ${spec.Name}`,
        { place: { stack: ns, path: `${kind}s.${spec.Name}` } },
      );
    }
    return {
      declared: spec.Name,
      name,
      create: { ...spec, Name: name, Labels: { ...spec.Labels, [SPEC_HASH_LABEL]: hash } },
    };
  });
  const unused = existing.filter((o) => inNamespace(o.Spec.Labels, ns) && !used.has(o.ID));
  const isVersionOf = (name: string, declaredName: string) =>
    name === declaredName || new RegExp(`^${escapeRegExp(declaredName)}-[0-9a-f]{8}$`).test(name);
  const replaced = unused.filter((o) => declared.some((d) => isVersionOf(o.Spec.Name, d.Name)));
  const undeclared = unused.filter((o) => !replaced.includes(o));
  return { versions, replaced, undeclared };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
