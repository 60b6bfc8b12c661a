import { LABEL_NAMESPACE, LABEL_PHOENIX_ENVIRONMENT, LABEL_PHOENIX_MANAGED } from "@phoenix/stacks";

/** Label Docker's own `docker stack deploy` puts on every object of a stack; Phoenix keeps it. */
export const NAMESPACE_LABEL = LABEL_NAMESPACE;

/** Hash of the spec Phoenix applied to a service, network, secret or config. */
export const SPEC_HASH_LABEL = "com.phoenix.spec-hash";

/**
 * Label keys that mark a network as shared by several stacks (packages/stacks labels an
 * environment network `phoenix.managed`, `phoenix.environment`, `phoenix.role`). A stack's
 * apply or remove never deletes a network carrying one of them.
 */
export const SHARED_NETWORK_LABELS: readonly string[] = [LABEL_PHOENIX_MANAGED, LABEL_PHOENIX_ENVIRONMENT];

/** True when the labels mark an object of the namespace `ns`. */
export function inNamespace(labels: Record<string, string> | undefined, ns: string): boolean {
  return labels?.[NAMESPACE_LABEL] === ns;
}

/** True when the network is shared by several stacks and no single stack may remove it. */
export function isSharedNetwork(labels: Record<string, string> | undefined): boolean {
  return SHARED_NETWORK_LABELS.some((key) => labels?.[key] !== undefined);
}

/** True for a network of stack `ns` alone: one its apply may prune and its removal deletes. */
export function isStackNetwork(labels: Record<string, string> | undefined, ns: string): boolean {
  return inNamespace(labels, ns) && !isSharedNetwork(labels);
}
