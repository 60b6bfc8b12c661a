export { DEFAULT_NETWORK, LABEL_IMAGE, LABEL_NAMESPACE, scope } from "./compose";
export type { LoadOptions, LoadResult, ReadFile } from "./compose-loader";
export { DEFAULT_COMPOSE_VERSION, loadCompose } from "./compose-loader";
export type {
  ComposeConfig,
  ServiceConfig,
} from "./compose-types";
export { parseComposeYaml } from "./compose-yaml";
export type * from "./engine-types";
export type { EnvironmentManifest, ServiceOverlay, StackManifest } from "./environment";
export {
  applyEnvironment,
  ENVIRONMENT_NETWORK_PREFIX,
  environmentNamespace,
  environmentNetwork,
  environmentNetworkName,
  LABEL_PHOENIX_ENVIRONMENT,
  LABEL_PHOENIX_MANAGED,
  LABEL_PHOENIX_ROLE,
  renameTraefikLabels,
} from "./environment";
export type { ExternalRefs, RenderedStack, RenderInput } from "./render";
export { renderedStackJson, renderStackSource } from "./render";
export type { RenderStackOptions } from "./stack-files";
export { readFileFromDisk, renderStack } from "./stack-files";
