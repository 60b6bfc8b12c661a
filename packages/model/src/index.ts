export { MODEL_FILES } from "./check-model";
export type { ClusterFile } from "./cluster-schema";
export { clusterFileSchema } from "./cluster-schema";
export type { ComposeProblem, ComposeSummary } from "./compose-file";
export { readComposeFile } from "./compose-file";
export type { Label } from "./docker-names";
export {
  hostnameProblem,
  labelKeyProblem,
  MAX_SWARM_NAME_LENGTH,
  natsTokenProblem,
  parseLabel,
  projectNameProblem,
  swarmNameProblem,
} from "./docker-names";
export type { GuestEntry } from "./guest-schema";
export { guestEntrySchema, lxcFileSchema, lxcMapEntrySchema, vmFileSchema } from "./guest-schema";
export { formatJsonPath } from "./json-path";
export { modelJsonSchemas, writeModelJsonSchemas } from "./json-schema";
export type { JsonDocument, JsonParseResult, TextPosition } from "./json-text";
export { parseJsonText } from "./json-text";
export { loadModel, type ModelMemo } from "./load-model";
export { autoManagerCount, managerTarget, raftMajority } from "./manager-quorum";
export type {
  AdoptPolicy,
  ClusterConfig,
  Guest,
  GuestKind,
  Model,
  NodeAvailability,
  SourceRef,
  Stack,
  StackEnvironment,
  StackServiceSettings,
  SwarmRole,
} from "./model-types";
export { environmentNetworkName, stackNamespace, stackPinConstraint, stackPinLabel } from "./naming";
export type { ModelResult } from "./parse-model";
export { invalidModelError, modelOrThrow, parseModel } from "./parse-model";
export { STACK_COMPOSE, STACK_MANIFEST } from "./parse-stacks";
export type { PlacementConstraint } from "./placement-constraint";
export { parsePlacementConstraint } from "./placement-constraint";
export { PHOENIX_LABEL_PREFIX } from "./schema-parts";
export { stackSourceHash } from "./stack-hash";
export type { StackManifestFile } from "./stack-manifest-schema";
export { stackManifestSchema } from "./stack-manifest-schema";
