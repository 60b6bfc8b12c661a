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
