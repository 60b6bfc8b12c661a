/** Machine-readable reason of a failure; mapped once to gRPC status and once to CLI exit code. */
export const ErrorCode = {
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  INVALID_MODEL: "INVALID_MODEL",
  INVALID_CONFIG: "INVALID_CONFIG",
  INVALID_COMPOSE: "INVALID_COMPOSE",
  NOT_FOUND: "NOT_FOUND",
  ALREADY_EXISTS: "ALREADY_EXISTS",
  CONFLICT: "CONFLICT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  PERMISSION_DENIED: "PERMISSION_DENIED",
  AGENT_OFFLINE: "AGENT_OFFLINE",
  NO_MANAGER: "NO_MANAGER",
  DOCKER: "DOCKER",
  NVIDIA_SMI: "NVIDIA_SMI",
  TIMEOUT: "TIMEOUT",
  CANCELLED: "CANCELLED",
  UNAVAILABLE: "UNAVAILABLE",
  DEPLOY_FAILED: "DEPLOY_FAILED",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Where a failure happened: a model file and JSON path, a node, a service, a command. */
export interface ErrorPlace {
  file?: string;
  path?: string;
  node?: string;
  service?: string;
  stack?: string;
  command?: string;
}

/** The one error class of Phoenix: a code, a message, the place, and optional details. */
export class PhoenixError extends Error {
  override readonly name = "PhoenixError";
  readonly code: ErrorCode;
  readonly place: ErrorPlace;
  /** Further errors that belong to the same failure (e.g. every problem of a model). */
  readonly details: readonly PhoenixError[];

  constructor(
    code: ErrorCode,
    message: string,
    opts: { place?: ErrorPlace; details?: readonly PhoenixError[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.place = opts.place ?? {};
    this.details = opts.details ?? [];
  }

  /** Wraps anything caught into a PhoenixError, keeping PhoenixErrors as they are. */
  static from(err: unknown, code: ErrorCode = ErrorCode.INTERNAL): PhoenixError {
    if (err instanceof PhoenixError) return err;
    if (err instanceof Error) return new PhoenixError(code, err.message, { cause: err });
    return new PhoenixError(code, String(err));
  }

  /** "file: path: message" style text, one line per detail when there are several. */
  describe(): string {
    const where = formatPlace(this.place);
    const head = where ? `${where}: ${this.message}` : this.message;
    if (this.details.length === 0) return head;
    return [head, ...this.details.map((d) => `  - ${d.describe()}`)].join("\n");
  }
}

/** Renders a place as `file at path` / `node n1, service web`. */
export function formatPlace(place: ErrorPlace): string {
  const parts: string[] = [];
  if (place.file) parts.push(place.path ? `${place.file} at ${place.path}` : place.file);
  else if (place.path) parts.push(place.path);
  if (place.node) parts.push(`node ${place.node}`);
  if (place.stack) parts.push(`stack ${place.stack}`);
  if (place.service) parts.push(`service ${place.service}`);
  if (place.command) parts.push(`command ${place.command}`);
  return parts.join(", ");
}

/** CLI exit codes: 0 ok, 1 failed, 2 usage or bad input, 3 coordinator unreachable. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3 } as const;

/** The CLI exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.INVALID_ARGUMENT:
    case ErrorCode.INVALID_MODEL:
    case ErrorCode.INVALID_CONFIG:
    case ErrorCode.INVALID_COMPOSE:
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.PERMISSION_DENIED:
      return ExitCode.USAGE;
    case ErrorCode.UNAVAILABLE:
      return ExitCode.UNREACHABLE;
    default:
      return ExitCode.FAILED;
  }
}
