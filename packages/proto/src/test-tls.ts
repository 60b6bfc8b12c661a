import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files of a self-made CA and a server certificate it signed for localhost and 127.0.0.1. */
export interface TestTls {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A second CA that signed nothing here: a client trusting it must refuse the server. */
  otherCaFile: string;
}

/** Makes a throw-away CA and server certificate with openssl, for TLS tests over loopback. */
export function makeTestTls(prefix = "phoenix-tls-"): TestTls {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ca = (name: string, cn: string) =>
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      f(`${name}.key`),
      "-out",
      f(`${name}.pem`),
    );
  ca("ca", "Phoenix Test CA");
  ca("other", "Other CA");
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    f("server.key"),
    "-out",
    f("server.csr"),
  );
  writeFileSync(f("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1");
  ssl(
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    f("ext"),
    "-out",
    f("server.pem"),
  );
  return {
    dir,
    caFile: f("ca.pem"),
    certFile: f("server.pem"),
    keyFile: f("server.key"),
    otherCaFile: f("other.pem"),
  };
}
