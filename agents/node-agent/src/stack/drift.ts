import { specHash } from "./spec-hash";

/** The parts of a service spec that drift checks read. */
interface SpecView {
  TaskTemplate?: { ContainerSpec?: { Image?: string } };
  Mode?: { Replicated?: { Replicas?: number } };
}

/**
 * Fields of a stored service spec that someone changed outside Phoenix although its hash label
 * still matches (`docker service scale`, `docker service update --image`). Only fields Docker
 * stores exactly as sent are compared, so a spec Phoenix wrote never shows drift.
 */
export function driftedFields(storedSpec: object, desiredSpec: object): string[] {
  const stored = storedSpec as SpecView;
  const desired = desiredSpec as SpecView;
  const out: string[] = [];
  const image = desired.TaskTemplate?.ContainerSpec?.Image;
  if (image !== undefined && stored.TaskTemplate?.ContainerSpec?.Image !== image) out.push("image");
  const replicas = desired.Mode?.Replicated?.Replicas;
  if (replicas !== undefined && stored.Mode?.Replicated?.Replicas !== replicas) out.push("replicas");
  return out;
}

/** Hex digits of a fingerprint (128 bits). */
const FINGERPRINT_LENGTH = 32;

/**
 * The fingerprint of a service spec as Docker stores it: a hash of all of it but the force-update
 * counter (`docker service update --force` restarts tasks and changes nothing they run). Only a
 * write to the service changes it; an apply reports it, and the next apply or check compares
 * (changedOutside).
 */
export function specFingerprint(storedSpec: { TaskTemplate?: object }): string {
  const { ForceUpdate: _, ...taskTemplate } = (storedSpec.TaskTemplate ?? {}) as { ForceUpdate?: number };
  return specHash({ ...storedSpec, TaskTemplate: taskTemplate }).slice(0, FINGERPRINT_LENGTH);
}

/**
 * True when a stored spec no longer has the fingerprint Phoenix's last apply reported for it:
 * someone wrote to the service since (`docker service update --env-add`). False without one.
 */
export function changedOutside(storedSpec: { TaskTemplate?: object }, recorded: string | undefined): boolean {
  return recorded !== undefined && recorded !== "" && specFingerprint(storedSpec) !== recorded;
}

/** What changesOutside names when only the fingerprint tells that a service was changed. */
export const WHOLE_SPEC = "its spec";

/**
 * What someone changed outside Phoenix in a stored service, by the rules both an apply and a check
 * follow: the image and replicas by name (driftedFields); else, when the service no longer has the
 * fingerprint recorded for it, WHOLE_SPEC alone. Empty when neither shows a change.
 */
export function changesOutside(
  storedSpec: object,
  desiredSpec: object,
  recorded: string | undefined,
): string[] {
  const fields = driftedFields(storedSpec, desiredSpec);
  if (fields.length === 0 && changedOutside(storedSpec, recorded)) return [WHOLE_SPEC];
  return fields;
}
