export { createClusterApi, WRITE_METHODS } from "./api";
export type { Access, ApiAuth } from "./api-auth";
export { createApiAuth } from "./api-auth";
export { CommandFailedError, partialResultOf } from "./command-failed-error";
export type { CoordinatorConfig, ListenAddress, ParsedCommandLine } from "./config";
export {
  defaultAssetPaths,
  formatListen,
  helpText,
  loadConfig,
  OPTIONS,
  parseListen,
  VERSION,
} from "./config";
export type { Coordinator } from "./coordinator";
export { startCoordinator } from "./coordinator";
export type { ExpiryWheel } from "./expiry-wheel";
export { createExpiryWheel } from "./expiry-wheel";
export type { Logger } from "./logger";
export { createLogger } from "./logger";
export type {
  AgentMatch,
  AgentMatcher,
  AgentRecord,
  CommandKind,
  Registry,
  RegistryHooks,
  RegistryOptions,
  SendOptions,
} from "./registry";
export { createRegistry, resultOf } from "./registry";
export { Secret } from "./secret";
