export { removeStaleTempFiles, writeFileAtomic } from "./atomic-write";
export type { EventBus, EventBusOptions, EventBusStats, WatchOptions } from "./event-bus";
export { createEventBus } from "./event-bus";
export type { EventPayload } from "./event-type";
export {
  clusterSubjects,
  DEFAULT_SUBJECT_PREFIX,
  defaultStreamName,
  eventSubject,
  eventType,
} from "./event-type";
export type { EventJson, EventSubscription } from "./subscribe";
export { replayStream, subscribeEvents } from "./subscribe";
