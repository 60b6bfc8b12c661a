import { type Model, stackPinLabel } from "@phoenix/model";
import type { FleetGuest } from "./fleet";
import type { GuestFacts } from "./guest-facts";
import { hardwareLabels, isGpuLabel } from "./hardware-labels";
import { OWNED_LABELS_KEY, ownedKeys, withOwnership } from "./label-ownership";

/** The label `gpu=true` that GPU guests get by default (the seed constraint `node.labels.gpu == true`). */
export const GPU_LABEL = "gpu";

/**
 * The labels a guest's node should carry, in layers: hardware labels (`phoenix.*`, when enabled),
 * `gpu=true` on GPU guests (when enabled), `phoenix.stack.<stack>=true` for each stack pinned to
 * it, then the model's node_labels on top, plus the ownership label. While nvidia-smi fails
 * (gpuState "error") the GPU labels the node already has are kept, so a driver hiccup does not
 * move GPU workloads; when the GPU is really gone (state ok or none, no GPUs) they go.
 * Undefined when the guest's hardware is not known yet: its labels are then left as they are.
 */
export function desiredLabels(
  guest: FleetGuest,
  facts: GuestFacts | undefined,
  model: Pick<Model, "cluster">,
  observed: Readonly<Record<string, string>> = {},
): Record<string, string> | undefined {
  if (!facts) return undefined;
  const { labels: options } = model.cluster;
  const labels: Record<string, string> = {};
  const identity = {
    ...(guest.kind ? { kind: guest.kind } : {}),
    ...(guest.vmid !== undefined ? { vmid: guest.vmid } : {}),
  };

  if (facts.gpuState === "error") {
    if (options.hardware) for (const [k, v] of Object.entries(observed)) if (isGpuLabel(k)) labels[k] = v;
    if (options.gpu && ownedKeys(observed).has(GPU_LABEL) && observed[GPU_LABEL] !== undefined)
      labels[GPU_LABEL] = observed[GPU_LABEL];
  }
  if (options.hardware) {
    const hw = hardwareLabels(facts, identity);
    for (const [k, v] of Object.entries(hw)) labels[k] = v;
  }
  if (options.gpu && facts.gpuState === "ok" && facts.gpus.length > 0) labels[GPU_LABEL] = "true";
  for (const stack of guest.dockerStacks) labels[stackPinLabel(stack)] = "true";
  for (const { key, value } of guest.nodeLabels) if (key !== OWNED_LABELS_KEY) labels[key] = value;
  return withOwnership(labels);
}
