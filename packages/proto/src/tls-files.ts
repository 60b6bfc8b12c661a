import { readFileSync } from "node:fs";
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

/** What a client dials with: PEM contents read from TlsFiles, or nothing for plaintext. */
export interface ClientTls {
  /** CA bundle; the system roots when absent. */
  ca?: Buffer;
  /** Client certificate chain and its key (mutual TLS). */
  cert?: Buffer;
  key?: Buffer;
}

/** Reads one PEM file; a missing or unreadable file is an INVALID_CONFIG error naming it. */
export function readPem(path: string, what: string): Buffer {
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

/** A client's TLS material: undefined (plaintext) unless a CA, a certificate or `tls: true` is given. */
export function clientTls(tls: TlsFiles & { tls?: boolean } = {}): ClientTls | undefined {
  if (!tls.caFile && !tls.tls && !tls.certFile) return undefined;
  const out: ClientTls = {};
  if (tls.caFile) out.ca = readPem(tls.caFile, "CA file");
  if (tls.keyFile) out.key = readPem(tls.keyFile, "key file");
  if (tls.certFile) out.cert = readPem(tls.certFile, "certificate file");
  return out;
}
