import { request } from "node:http";

/**
 * GETs one JSON answer of the Docker engine over its unix socket: the unversioned path dockerode uses
 * ("/version", "/info"), failing with Docker's message the way dockerode words it ("(HTTP code 500) server
 * error - ..."). Enough for the agent's periodic probe, which then needs no dockerode loaded.
 */
export function dockerGet(socketPath: string, path: string, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: "GET", signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (res.statusCode === 200) {
          if (body === undefined)
            reject(new Error(`GET ${path} answered with no JSON: ${text.slice(0, 200)}`));
          else resolve(body);
          return;
        }
        const said = (body as { message?: unknown } | undefined)?.message;
        const what = res.statusCode === 500 ? "server error" : "unexpected";
        reject(
          new Error(`(HTTP code ${res.statusCode}) ${what} - ${typeof said === "string" ? said : text}`),
        );
      });
    });
    req.on("error", reject);
    req.end();
  });
}
