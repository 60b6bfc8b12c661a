import { ErrorCode, ExitCode, exitCodeFor, PhoenixError } from "@phoenix/errors";

/** Turns any failure into one clear message and the documented exit code; never a stack trace. */
export function reportError(
  err: unknown,
  coordinator: string | undefined,
): { message: string; exitCode: number } {
  if (!(err instanceof PhoenixError)) {
    const msg = err instanceof Error ? err.message : String(err);
    return {
      message: `phoenix: unexpected error: ${msg}\nThis is a bug in phoenix; please report it with the command you ran.`,
      exitCode: ExitCode.FAILED,
    };
  }
  const where = coordinator ?? "the configured address";
  switch (err.code) {
    case ErrorCode.UNAVAILABLE:
      return {
        message: `phoenix: cannot reach the coordinator at ${where}: ${err.message}\nCheck --coordinator / PHOENIX_COORDINATOR and that phoenix-coordinator is running.`,
        exitCode: ExitCode.UNREACHABLE,
      };
    case ErrorCode.UNAUTHENTICATED:
      return {
        message: `phoenix: the coordinator at ${where} refused the API token: ${err.message}\nSet a valid token with --token-file or PHOENIX_TOKEN_FILE.`,
        exitCode: ExitCode.USAGE,
      };
    case ErrorCode.PERMISSION_DENIED:
      return { message: `phoenix: not allowed: ${err.message}`, exitCode: ExitCode.USAGE };
    case ErrorCode.TIMEOUT:
      return {
        message: `phoenix: the coordinator at ${where} did not answer in time: ${err.message}`,
        exitCode: ExitCode.FAILED,
      };
    default:
      return { message: `phoenix: ${err.describe()}`, exitCode: exitCodeFor(err.code) };
  }
}
