export { DEFAULT_NETWORK, LABEL_IMAGE, LABEL_NAMESPACE, scope } from "./compose";
export type { LoadOptions, LoadResult, ReadFile } from "./compose-loader";
export {
  DEFAULT_COMPOSE_VERSION,
  DEPRECATED_PROPERTIES,
  FORBIDDEN_PROPERTIES,
  loadCompose,
  UNSUPPORTED_PROPERTIES,
} from "./compose-loader";
export type { ComposeConfig, ServiceConfig } from "./compose-types";
export type { ComposeDict, ComposeValue } from "./compose-yaml";
export { parseComposeYaml } from "./compose-yaml";
export {
  contentHash,
  LABEL_CONTENT_HASH,
  LABEL_LOGICAL_NAME,
  VERSION_DIGITS,
  versionedName,
  versionObjects,
} from "./content-hash";
export type * from "./engine-types";
export type { EnvironmentManifest, EnvironmentOptions, ServiceOverlay, StackManifest } from "./environment";
export {
  applyEnvironment,
  ENVIRONMENT_NETWORK_PREFIX,
  environmentAlias,
  environmentNamespace,
  environmentNetwork,
  environmentNetworkName,
  LABEL_PHOENIX_ENVIRONMENT,
  LABEL_PHOENIX_MANAGED,
  LABEL_PHOENIX_ROLE,
  renameTraefikLabels,
  validateName,
} from "./environment";
export { serviceImage } from "./image-reference";
export { invalidSecretOrConfigName, invalidServiceOrNetworkName } from "./names";
export type { ExternalRefs, RenderedStack, RenderInput } from "./render";
export { RENDER_REVISION, renderedStackJson, renderStackSource } from "./render";
export { convertService } from "./service";
export type { ObservedNames, SpecDifference } from "./spec-diff";
export { compactSpec, diffJson, diffServiceSpec, serviceSpecMatches, withDaemonDefaults } from "./spec-diff";
export type { RenderStackOptions } from "./stack-files";
export { readFileFromDisk, renderStack } from "./stack-files";
