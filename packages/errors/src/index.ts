export { ErrorCode, ExitCode, PhoenixError, exitCodeFor, formatPlace } from "./phoenix-error";
export type { ErrorPlace } from "./phoenix-error";
