export { desiredLabels, GPU_LABEL } from "./desired-labels";
export type {
  DesiredGuest,
  DesiredNetwork,
  DesiredStack,
  DesiredState,
  DesiredStateOptions,
} from "./desired-state";
export { deploymentSourceHash, desiredState, modelEnvironments } from "./desired-state";
export type { AdoptedGuest, Bound, BoundGuest, FleetGuest, NodeIndex } from "./fleet";
export { bindFleet, fleetGuests, indexNodes } from "./fleet";
export type { GpuFacts, GuestFacts } from "./guest-facts";
export { hardwareLabels, isGpuLabel, labelValue, normalizeArch, PHOENIX_PREFIX } from "./hardware-labels";
export type { LabelChanges } from "./label-ownership";
export { labelChanges, OWNED_LABELS_KEY, ownedKeys, withOwnership } from "./label-ownership";
export type { DesiredRole, HeldRoleChange, RoleChange, RoleSchedule } from "./schedule-roles";
export { scheduleBoundRoles, scheduleRoles } from "./schedule-roles";
