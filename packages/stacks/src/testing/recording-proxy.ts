import { rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";

/** A create or update request the docker CLI sent: what it asked Docker to store. */
export interface RecordedRequest {
  kind: "networks" | "secrets" | "configs" | "services";
  method: string;
  path: string;
  body: Record<string, unknown>;
}

const WRITE = /^\/v[0-9.]+\/(networks|secrets|configs|services)\/(create|[^/]+\/update)(\?|$)/;

/**
 * A Docker API proxy on a unix socket that forwards everything to `target` and records the
 * bodies of network/secret/config/service create and update requests, so a test sees exactly
 * what `docker stack deploy` sends.
 */
export async function startRecordingProxy(
  listenPath: string,
  target: string,
): Promise<{ requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  rmSync(listenPath, { force: true });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const m = WRITE.exec(req.url ?? "");
      if (req.method === "POST" && m && body.length > 0) {
        requests.push({
          kind: m[1] as RecordedRequest["kind"],
          method: req.method,
          path: req.url ?? "",
          body: JSON.parse(body.toString("utf8")) as Record<string, unknown>,
        });
      }
      const upstream = request(
        { socketPath: target, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPath, () => resolve());
  });
  return {
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
