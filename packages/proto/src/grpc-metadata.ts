import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { HeaderField } from "./h2/hpack";

/**
 * Headers a caller may not send as metadata: those a gRPC call sets itself, and the connection-specific
 * ones HTTP/2 forbids (RFC 9113 8.2.2).
 */
const RESERVED: Record<string, string> = {
  "content-type": "set by the gRPC call itself",
  te: "set by the gRPC call itself",
  "user-agent": "set by the gRPC call itself",
  "grpc-accept-encoding": "set by the gRPC call itself",
  "grpc-encoding": "set by the gRPC call itself (messages are not compressed)",
  host: "not allowed in HTTP/2 (the call sends :authority)",
  connection: "connection-specific, not allowed in HTTP/2",
  "keep-alive": "connection-specific, not allowed in HTTP/2",
  "proxy-connection": "connection-specific, not allowed in HTTP/2",
  "transfer-encoding": "connection-specific, not allowed in HTTP/2",
  upgrade: "connection-specific, not allowed in HTTP/2",
};

/**
 * Request metadata as header fields, checked against gRPC's rules: names of lower-case letters, digits,
 * "-", "_" and "." (no pseudo-headers, none the call or HTTP/2 reserves), values of printable ASCII
 * (so no CR or LF), base64 for a "-bin" name, a valid grpc-timeout. A bad entry is an INVALID_ARGUMENT
 * naming the header and why; the value is never repeated, as it may be a secret.
 */
export function metadataFields(metadata: Readonly<Record<string, string>>): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const [name, value] of Object.entries(metadata)) {
    const problem = metadataProblem(name, value);
    if (problem)
      throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `metadata ${JSON.stringify(name)}: ${problem}`);
    fields.push([name, value]);
  }
  return fields;
}

function metadataProblem(name: string, value: string): string | undefined {
  if (name === "") return "a header name cannot be empty";
  if (name.startsWith(":")) return "pseudo-headers are the gRPC call's own";
  if (/[A-Z]/.test(name)) return "header names are lower case";
  if (!/^[0-9a-z_.-]+$/.test(name)) return 'a header name holds only a-z, 0-9, "-", "_" and "."';
  const reserved = RESERVED[name];
  if (reserved) return reserved;
  if (/[\r\n]/.test(value)) return "the value holds a line break (CR or LF)";
  if (name.endsWith("-bin")) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return "the value of a -bin header is base64";
    return undefined;
  }
  if (!/^[\x20-\x7e]*$/.test(value)) return "the value holds a character outside printable ASCII";
  if (name === "grpc-timeout" && !/^\d{1,8}[HMSmun]$/.test(value))
    return "not a gRPC timeout (up to 8 digits and one of H, M, S, m, u, n)";
  return undefined;
}

/** A `grpc-timeout` header value: at most 8 digits and a unit (milliseconds, seconds or hours). */
export function grpcTimeout(ms: number): string {
  const milli = Math.max(1, Math.ceil(ms));
  if (milli <= 99_999_999) return `${milli}m`;
  const seconds = Math.ceil(milli / 1000);
  return seconds <= 99_999_999 ? `${seconds}S` : `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}
