import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { clientTls, readPem, type TlsFiles } from "./tls-files";

/** Server credentials: TLS when certFile and keyFile are given (client certs checked when caFile is). */
export function serverCredentials(tls: TlsFiles = {}): grpc.ServerCredentials {
  if (!tls.certFile && !tls.keyFile) return grpc.ServerCredentials.createInsecure();
  if (!tls.certFile || !tls.keyFile) {
    throw new PhoenixError(ErrorCode.INVALID_CONFIG, "TLS needs both a certificate file and a key file");
  }
  const ca = tls.caFile ? readPem(tls.caFile, "CA file") : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [
      {
        cert_chain: readPem(tls.certFile, "certificate file"),
        private_key: readPem(tls.keyFile, "key file"),
      },
    ],
    ca !== null,
  );
}

/** Client credentials: TLS when a CA file is given (or `tls: true` for the system roots). */
export function clientCredentials(tls: TlsFiles & { tls?: boolean } = {}): grpc.ChannelCredentials {
  const material = clientTls(tls);
  if (!material) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(material.ca ?? null, material.key ?? null, material.cert ?? null);
}
