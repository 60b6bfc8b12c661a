export type { StackContext } from "./apply-stack";
export { applyStack, DEFAULT_WAIT_TIMEOUT_MS } from "./apply-stack";
export { checkStacks } from "./check-stack";
export { NAMESPACE_LABEL, SPEC_HASH_LABEL } from "./labels";
export type { StackRemoveResultInit } from "./remove-stack";
export { removeStack } from "./remove-stack";
export type { StackApplyResultInit } from "./stack-apply-error";
export { StackApplyError } from "./stack-apply-error";
