import type { IncomingHttpHeaders } from "node:http2";
import { ERROR_METADATA_KEY, GrpcCode } from "./error-info";

/** Bytes before each gRPC message: a compressed flag and a 4-byte big-endian length. */
export const FRAME_HEADER_BYTES = 5;

/** A gRPC status as it arrived: code, percent-decoded message, the attached ErrorInfo bytes. */
export interface WireStatus {
  code: number;
  message: string;
  errorInfo?: Uint8Array;
}

/** A gRPC message frame: not compressed, 4-byte big-endian length, the bytes. */
export function encodeFrame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** The status in trailers (or a trailers-only header block); `peer` names the sender in the message of a bad one. */
export function readWireStatus(headers: IncomingHttpHeaders, peer: string): WireStatus {
  const raw = headers["grpc-status"];
  const code = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isInteger(code))
    return { code: GrpcCode.UNKNOWN, message: `${peer} sent no valid grpc-status` };
  let message = String(headers["grpc-message"] ?? "");
  try {
    message = decodeURIComponent(message);
  } catch {
    // not percent-encoded: keep it as it came
  }
  const bin = headers[ERROR_METADATA_KEY];
  return typeof bin === "string"
    ? { code, message, errorInfo: Buffer.from(bin, "base64") }
    : { code, message };
}

/** What is wrong with a response's headers for gRPC (HTTP status, content-type), or undefined; `prefix` leads the message. */
export function responseProblem(
  headers: IncomingHttpHeaders,
  prefix: string,
): { code: number; message: string } | undefined {
  const httpStatus = Number(headers[":status"]);
  const type = String(headers["content-type"] ?? "");
  if (httpStatus !== 200) {
    const unavailable = httpStatus === 502 || httpStatus === 503 || httpStatus === 504;
    return {
      code: unavailable ? GrpcCode.UNAVAILABLE : GrpcCode.UNKNOWN,
      message: `${prefix}HTTP ${httpStatus}, not gRPC`,
    };
  }
  if (!type.startsWith("application/grpc")) {
    return { code: GrpcCode.UNKNOWN, message: `${prefix}content-type "${type}", not gRPC` };
  }
  return undefined;
}
