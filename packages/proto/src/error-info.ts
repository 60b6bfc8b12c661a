import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { ErrorInfoCodec, zeroErrorInfo, zeroErrorPlace } from "./gen/phoenix/v1/swarm_codec";
import type { ErrorInfo } from "./gen/phoenix/v1/swarm_pb";

/** Trailing metadata key that carries a serialized ErrorInfo next to the gRPC status. */
export const ERROR_METADATA_KEY = "phoenix-error-bin";

/** gRPC status codes (the numbers every gRPC implementation sends in `grpc-status`). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
/** A gRPC status code. */
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

const toGrpc: Record<ErrorCode, GrpcCode> = {
  INVALID_ARGUMENT: GrpcCode.INVALID_ARGUMENT,
  INVALID_MODEL: GrpcCode.INVALID_ARGUMENT,
  INVALID_CONFIG: GrpcCode.INVALID_ARGUMENT,
  INVALID_COMPOSE: GrpcCode.INVALID_ARGUMENT,
  NOT_FOUND: GrpcCode.NOT_FOUND,
  ALREADY_EXISTS: GrpcCode.ALREADY_EXISTS,
  CONFLICT: GrpcCode.ABORTED,
  UNAUTHENTICATED: GrpcCode.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcCode.PERMISSION_DENIED,
  AGENT_OFFLINE: GrpcCode.UNAVAILABLE,
  NO_MANAGER: GrpcCode.FAILED_PRECONDITION,
  DOCKER: GrpcCode.INTERNAL,
  NVIDIA_SMI: GrpcCode.INTERNAL,
  TIMEOUT: GrpcCode.DEADLINE_EXCEEDED,
  CANCELLED: GrpcCode.CANCELLED,
  UNAVAILABLE: GrpcCode.UNAVAILABLE,
  DEPLOY_FAILED: GrpcCode.ABORTED,
  INTERNAL: GrpcCode.INTERNAL,
};

const fromGrpc: Partial<Record<number, ErrorCode>> = {
  [GrpcCode.INVALID_ARGUMENT]: ErrorCode.INVALID_ARGUMENT,
  [GrpcCode.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [GrpcCode.ALREADY_EXISTS]: ErrorCode.ALREADY_EXISTS,
  [GrpcCode.ABORTED]: ErrorCode.CONFLICT,
  [GrpcCode.UNAUTHENTICATED]: ErrorCode.UNAUTHENTICATED,
  [GrpcCode.PERMISSION_DENIED]: ErrorCode.PERMISSION_DENIED,
  [GrpcCode.FAILED_PRECONDITION]: ErrorCode.NO_MANAGER,
  [GrpcCode.DEADLINE_EXCEEDED]: ErrorCode.TIMEOUT,
  [GrpcCode.CANCELLED]: ErrorCode.CANCELLED,
  [GrpcCode.UNAVAILABLE]: ErrorCode.UNAVAILABLE,
  [GrpcCode.RESOURCE_EXHAUSTED]: ErrorCode.INVALID_ARGUMENT,
};

const codeNames = Object.fromEntries(Object.entries(GrpcCode).map(([k, v]) => [v, k])) as Record<
  number,
  string
>;

/** The gRPC status code for a Phoenix error code. */
export function grpcStatusFor(code: ErrorCode): GrpcCode {
  return toGrpc[code] ?? GrpcCode.INTERNAL;
}

/** Converts a PhoenixError to its protocol form. */
export function toErrorInfo(err: PhoenixError): ErrorInfo {
  const place = zeroErrorPlace();
  for (const key of ["file", "path", "node", "service", "stack", "command"] as const) {
    place[key] = err.place[key] ?? "";
  }
  return {
    ...zeroErrorInfo(),
    code: err.code,
    message: err.message,
    place,
    details: err.details.map(toErrorInfo),
  };
}

/** Converts a protocol error back to a PhoenixError. */
export function fromErrorInfo(info: ErrorInfo): PhoenixError {
  const code = (Object.values(ErrorCode) as string[]).includes(info.code)
    ? (info.code as ErrorCode)
    : ErrorCode.INTERNAL;
  const place = Object.fromEntries(
    Object.entries(info.place ?? {}).filter(([k, v]) => !k.startsWith("$") && v),
  );
  return new PhoenixError(code, info.message, { place, details: info.details.map(fromErrorInfo) });
}

/** The serialized ErrorInfo of a PhoenixError, as it travels in `phoenix-error-bin`. */
export function errorInfoBytes(err: PhoenixError): Uint8Array {
  return ErrorInfoCodec.encode(toErrorInfo(err));
}

/**
 * The PhoenixError of a gRPC status as it arrived: the attached ErrorInfo when there is a readable
 * one, else the status code mapped to an error code with the status message.
 */
export function errorFromWire(
  code: number,
  details: string,
  errorInfo?: Uint8Array,
  cause?: unknown,
): PhoenixError {
  if (errorInfo && errorInfo.length > 0) {
    try {
      return fromErrorInfo(ErrorInfoCodec.decode(errorInfo));
    } catch {
      // fall through to the plain status
    }
  }
  const mapped = fromGrpc[code] ?? ErrorCode.INTERNAL;
  const message = cleanDetails(details || codeNames[code] || "unknown error");
  return new PhoenixError(mapped, message, cause === undefined ? {} : { cause });
}

/** grpc-js connection errors read "No connection established. Last error: Error: connect ECONNREFUSED ...
 * Resolution note: "; keep the part a person needs. */
export function cleanDetails(details: string): string {
  const last = /Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/s.exec(details);
  const text = (last ? last[1]! : details).replace(/\s*Resolution note:\s*$/, "").trim();
  return text || details.trim();
}
