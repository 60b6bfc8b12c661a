export { describe, describePlan } from "./describe-step";
export type {
  DeployedStack,
  NodeRole,
  ObservedGuest,
  ObservedNode,
  ObservedState,
  SwarmLocalState,
} from "./observed-state";
export { plan } from "./plan";
export type {
  AvailabilityStep,
  CreateNetworkStep,
  DeployStackStep,
  GuestRef,
  InitSwarmStep,
  JoinStep,
  LabelsStep,
  LeaveStep,
  Plan,
  PlanNote,
  PlanStep,
  RemoveNodeStep,
  RemoveStackStep,
  RoleStep,
} from "./plan-step";
export { simulateApply } from "./simulate-apply";
