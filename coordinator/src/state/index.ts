export type { CoordinatorState, StateStore } from "./state-store";
export { openStateStore, STATE_FILE, STATE_HISTORY_LIMIT } from "./state-store";
