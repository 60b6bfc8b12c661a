import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { ServiceError, StatusObject } from "@grpc/grpc-js";
import { Metadata, status as Status } from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { ErrorInfo } from "./gen/phoenix/v1/swarm_pb";
import { ErrorInfoSchema } from "./gen/phoenix/v1/swarm_pb";

/** Trailing metadata key that carries a serialized ErrorInfo next to the gRPC status. */
export const ERROR_METADATA_KEY = "phoenix-error-bin";

const toGrpc: Record<ErrorCode, Status> = {
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  INVALID_MODEL: Status.INVALID_ARGUMENT,
  INVALID_CONFIG: Status.INVALID_ARGUMENT,
  INVALID_COMPOSE: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  CONFLICT: Status.ABORTED,
  UNAUTHENTICATED: Status.UNAUTHENTICATED,
  PERMISSION_DENIED: Status.PERMISSION_DENIED,
  AGENT_OFFLINE: Status.UNAVAILABLE,
  NO_MANAGER: Status.FAILED_PRECONDITION,
  DOCKER: Status.INTERNAL,
  NVIDIA_SMI: Status.INTERNAL,
  TIMEOUT: Status.DEADLINE_EXCEEDED,
  CANCELLED: Status.CANCELLED,
  UNAVAILABLE: Status.UNAVAILABLE,
  DEPLOY_FAILED: Status.ABORTED,
  INTERNAL: Status.INTERNAL,
};

const fromGrpc: Partial<Record<Status, ErrorCode>> = {
  [Status.INVALID_ARGUMENT]: ErrorCode.INVALID_ARGUMENT,
  [Status.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [Status.ALREADY_EXISTS]: ErrorCode.ALREADY_EXISTS,
  [Status.ABORTED]: ErrorCode.CONFLICT,
  [Status.UNAUTHENTICATED]: ErrorCode.UNAUTHENTICATED,
  [Status.PERMISSION_DENIED]: ErrorCode.PERMISSION_DENIED,
  [Status.FAILED_PRECONDITION]: ErrorCode.NO_MANAGER,
  [Status.DEADLINE_EXCEEDED]: ErrorCode.TIMEOUT,
  [Status.CANCELLED]: ErrorCode.CANCELLED,
  [Status.UNAVAILABLE]: ErrorCode.UNAVAILABLE,
  [Status.RESOURCE_EXHAUSTED]: ErrorCode.INVALID_ARGUMENT,
};

/** The gRPC status code for a Phoenix error code. */
export function grpcStatusFor(code: ErrorCode): Status {
  return toGrpc[code] ?? Status.INTERNAL;
}

/** Converts a PhoenixError to its protocol form. */
export function toErrorInfo(err: PhoenixError): ErrorInfo {
  return create(ErrorInfoSchema, {
    code: err.code,
    message: err.message,
    place: { ...err.place },
    details: err.details.map(toErrorInfo),
  });
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

/** Turns anything a handler threw into a gRPC status with the ErrorInfo attached. */
export function statusFromError(err: unknown): Partial<StatusObject> {
  const pe =
    err instanceof PhoenixError
      ? err
      : new PhoenixError(ErrorCode.INTERNAL, "internal error", { cause: err });
  const metadata = new Metadata();
  metadata.set(ERROR_METADATA_KEY, Buffer.from(toBinary(ErrorInfoSchema, toErrorInfo(pe))));
  return { code: grpcStatusFor(pe.code), details: pe.message, metadata };
}

/** Turns a grpc-js client error into a PhoenixError, reading the attached ErrorInfo when present. */
export function errorFromStatus(err: unknown): PhoenixError {
  if (err instanceof PhoenixError) return err;
  const se = err as Partial<ServiceError>;
  if (typeof se?.code !== "number") return PhoenixError.from(err);
  const bin = se.metadata?.get(ERROR_METADATA_KEY)[0];
  if (bin instanceof Buffer) {
    try {
      return fromErrorInfo(fromBinary(ErrorInfoSchema, bin));
    } catch {
      // fall through to the plain status
    }
  }
  const code = fromGrpc[se.code as Status] ?? ErrorCode.INTERNAL;
  const message = cleanDetails(se.details || se.message || Status[se.code] || "unknown error");
  return new PhoenixError(code, message, { cause: err });
}

/** grpc-js connection errors read "No connection established. Last error: Error: connect ECONNREFUSED ...
 * Resolution note: "; keep the part a person needs. */
export function cleanDetails(details: string): string {
  const last = /Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/s.exec(details);
  const text = (last ? last[1]! : details).replace(/\s*Resolution note:\s*$/, "").trim();
  return text || details.trim();
}
