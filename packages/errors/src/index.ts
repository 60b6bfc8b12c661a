export type { ErrorPlace } from "./phoenix-error";
export { ErrorCode, ExitCode, exitCodeFor, formatPlace, PhoenixError } from "./phoenix-error";
