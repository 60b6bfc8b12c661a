export type { StateDeployJournal } from "./deploy-journal";
export { createDeployJournal, setEnvironmentSource } from "./deploy-journal";
export type {
  AdoptedGuest,
  CoordinatorState,
  EnvironmentRecord,
  EnvironmentSource,
  HistoryEntry,
  LegacySource,
  RecordedEnvironment,
  StateStore,
  StateStoreOptions,
} from "./state-store";
export { openStateStore, STATE_FILE, STATE_HISTORY_LIMIT } from "./state-store";
