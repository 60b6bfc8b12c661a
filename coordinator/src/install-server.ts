import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
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
}

/** The running HTTP server. */
export interface InstallServer {
  /** The address actually bound (port 0 resolved). */
  readonly address: ListenAddress;
  close(): Promise<void>;
}

const ROUTES: Record<string, { file: "agentBundle" | "installScript"; type: string }> = {
  "/agent/phoenix-agent.mjs": { file: "agentBundle", type: "text/javascript; charset=utf-8" },
  "/agent/install.sh": { file: "installScript", type: "text/x-shellscript; charset=utf-8" },
};

/** Starts the tiny HTTP server that lets cloud-init fetch the agent and its install script. */
export async function startInstallServer(o: InstallServerOptions): Promise<InstallServer> {
  const server: Server = createServer((req, res) => {
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
      () => {
        o.logger.warn(
          { path, file },
          "install file missing: build the agent bundle or set --agent-bundle/--install-script",
        );
        res
          .writeHead(503, { "content-type": "text/plain" })
          .end(`${path} is not available on this coordinator\n`);
      },
    );
  });
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
