import type { ServiceError, StatusObject } from "@grpc/grpc-js";
import { Metadata } from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { ERROR_METADATA_KEY, errorFromWire, errorInfoBytes, grpcStatusFor } from "./error-info";

/** Turns anything a handler threw into a gRPC status with the ErrorInfo attached. */
export function statusFromError(err: unknown): Partial<StatusObject> {
  const pe =
    err instanceof PhoenixError
      ? err
      : new PhoenixError(ErrorCode.INTERNAL, "internal error", { cause: err });
  const metadata = new Metadata();
  metadata.set(ERROR_METADATA_KEY, Buffer.from(errorInfoBytes(pe)));
  return { code: grpcStatusFor(pe.code), details: pe.message, metadata };
}

/** Turns a grpc-js client error into a PhoenixError, reading the attached ErrorInfo when present. */
export function errorFromStatus(err: unknown): PhoenixError {
  if (err instanceof PhoenixError) return err;
  const se = err as Partial<ServiceError>;
  if (typeof se?.code !== "number") return PhoenixError.from(err);
  const bin = se.metadata?.get(ERROR_METADATA_KEY)[0];
  return errorFromWire(se.code, se.details || se.message || "", bin instanceof Buffer ? bin : undefined, err);
}
