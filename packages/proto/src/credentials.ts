import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";

/** PEM file paths for TLS. With none set, the channel is plaintext. */
export interface TlsFiles {
  /** Certificate chain presented by this side. */
  certFile?: string;
  /** Private key of certFile. */
  keyFile?: string;
  /** CA bundle used to verify the other side. */
  caFile?: string;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `cannot read ${what} ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** Server credentials: TLS when certFile and keyFile are given (client certs checked when caFile is). */
export function serverCredentials(tls: TlsFiles = {}): grpc.ServerCredentials {
  if (!tls.certFile && !tls.keyFile) return grpc.ServerCredentials.createInsecure();
  if (!tls.certFile || !tls.keyFile) {
    throw new PhoenixError(ErrorCode.INVALID_CONFIG, "TLS needs both a certificate file and a key file");
  }
  const ca = tls.caFile ? read(tls.caFile, "CA file") : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: read(tls.certFile, "certificate file"), private_key: read(tls.keyFile, "key file") }],
    ca !== null,
  );
}

/** Client credentials: TLS when a CA file is given (or `tls: true` for the system roots). */
export function clientCredentials(tls: TlsFiles & { tls?: boolean } = {}): grpc.ChannelCredentials {
  if (!tls.caFile && !tls.tls && !tls.certFile) return grpc.credentials.createInsecure();
  const ca = tls.caFile ? read(tls.caFile, "CA file") : null;
  const key = tls.keyFile ? read(tls.keyFile, "key file") : null;
  const cert = tls.certFile ? read(tls.certFile, "certificate file") : null;
  return grpc.credentials.createSsl(ca, key, cert);
}
