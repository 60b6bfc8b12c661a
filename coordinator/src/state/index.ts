export type {
  AdoptedGuest,
  CoordinatorState,
  EnvironmentRecord,
  HistoryEntry,
  StateStore,
} from "./state-store";
export { openStateStore, STATE_FILE, STATE_HISTORY_LIMIT } from "./state-store";
