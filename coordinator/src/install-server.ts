import { createReadStream, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { formatListen, type ListenAddress } from "./config";
import type { Logger } from "./logger";

/** Files the install server hands out, and the health answer. */
export interface InstallServerOptions {
  listen: ListenAddress;
  /** The agent's single-file bundle, served at /agent/phoenix-agent.mjs. */
  agentBundle: string;
  /** The install script, served at /agent/install.sh. */
  installScript: string;
  /** Body of /healthz (JSON); the coordinator reports its agents and model there. */
  health: () => Record<string, unknown>;
  logger: Logger;
  /**
   * The coordinator's certificate and key: the files are then served over HTTPS, so a guest that
   * trusts the coordinator's CA knows the script and bundle it runs as root are the coordinator's.
   * No client certificate is asked for: the files are the same for everyone.
   */
  tls?: { certFile: string; keyFile: string };
}

/** The running HTTP server. */
export interface InstallServer {
  /** The address actually bound (port 0 resolved). */
  readonly address: ListenAddress;
  /** `https` with TLS, else `http`. */
  readonly scheme: "http" | "https";
  close(): Promise<void>;
}

const ROUTES: Record<string, { file: "agentBundle" | "installScript"; type: string }> = {
  "/agent/phoenix-agent.mjs": { file: "agentBundle", type: "text/javascript; charset=utf-8" },
  "/agent/install.sh": { file: "installScript", type: "text/x-shellscript; charset=utf-8" },
};

/** The install script's line that says where it was downloaded from; the server fills it in. */
export const SERVED_FROM_LINE = "served_from=''";
/** A Host header that can go into the script as is: a name or address, and a port. */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The install script as served to one request: its `served_from=''` line names the origin the
 * request reached (scheme and Host header), so the script downloads the bundle from the same
 * place, port and scheme included. A Host header that is not a plain host[:port] leaves the line
 * empty (the script then falls back to its defaults).
 */
export function scriptServedFrom(script: string, scheme: "http" | "https", host: string | undefined): string {
  if (host === undefined || !HOST_HEADER.test(host)) return script;
  return script.replace(
    new RegExp(`^${SERVED_FROM_LINE}$`, "m"),
    `served_from='${scheme}://${host.toLowerCase()}'`,
  );
}

/** Starts the tiny HTTP(S) server that lets cloud-init fetch the agent and its install script. */
export async function startInstallServer(o: InstallServerOptions): Promise<InstallServer> {
  const scheme = o.tls ? "https" : "http";
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    if (path === "/healthz") {
      const body = `${JSON.stringify({ ok: true, ...o.health() })}\n`;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(method === "HEAD" ? undefined : body);
      return;
    }
    const route = ROUTES[path];
    if (!route) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const file = o[route.file];
    if (route.file === "installScript") {
      readFile(file, "utf8").then(
        (text) => {
          const body = Buffer.from(scriptServedFrom(text, scheme, req.headers.host));
          res.writeHead(200, {
            "content-type": route.type,
            "content-length": body.length,
            "cache-control": "no-cache",
          });
          res.end(method === "HEAD" ? undefined : body);
        },
        () => unavailable(res, path, file),
      );
      return;
    }
    stat(file).then(
      (st) => {
        if (!st.isFile()) throw new Error("not a file");
        res.writeHead(200, {
          "content-type": route.type,
          "content-length": st.size,
          "last-modified": st.mtime.toUTCString(),
          "cache-control": "no-cache",
        });
        if (method === "HEAD") {
          res.end();
          return;
        }
        const stream = createReadStream(file);
        stream.on("error", (err) => {
          o.logger.error({ file, err: err.message }, "reading an install file failed");
          res.destroy(err);
        });
        stream.pipe(res);
      },
      () => unavailable(res, path, file),
    );
  };
  const unavailable = (res: ServerResponse, path: string, file: string) => {
    o.logger.warn(
      { path, file },
      "install file missing: build the agent bundle or set --agent-bundle/--install-script",
    );
    res
      .writeHead(503, { "content-type": "text/plain" })
      .end(`${path} is not available on this coordinator\n`);
  };
  const server: Server = o.tls ? createHttpsServer(tlsFiles(o.tls), handle) : createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new PhoenixError(
          ErrorCode.INVALID_CONFIG,
          `--http-listen ${formatListen(o.listen)}: cannot listen (${err.code ?? err.message})`,
          { cause: err },
        ),
      ),
    );
    server.listen(o.listen.port, o.listen.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: o.listen.host, port: bound.port },
    scheme,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function tlsFiles(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new PhoenixError(
        ErrorCode.INVALID_CONFIG,
        `${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  };
  return { cert: read("--tls-cert", tls.certFile), key: read("--tls-key", tls.keyFile) };
}
