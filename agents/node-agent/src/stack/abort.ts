import { ErrorCode, type ErrorPlace, PhoenixError } from "@phoenix/errors";

/** The error for an aborted signal: TIMEOUT for a deadline, CANCELLED otherwise. */
export function abortError(signal: AbortSignal, place: ErrorPlace): PhoenixError {
  const reason: unknown = signal.reason;
  if (reason instanceof PhoenixError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new PhoenixError(ErrorCode.TIMEOUT, "the command's deadline passed", { place, cause: reason });
  }
  return new PhoenixError(ErrorCode.CANCELLED, "the command was cancelled", { place, cause: reason });
}

/** Throws the abort error when the signal has fired; called between steps. */
export function checkAborted(signal: AbortSignal, place: ErrorPlace): void {
  if (signal.aborted) throw abortError(signal, place);
}

/** Waits `ms` milliseconds, or throws the abort error as soon as the signal fires. */
export function sleep(ms: number, signal: AbortSignal, place: ErrorPlace): Promise<void> {
  checkAborted(signal, place);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal, place));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
