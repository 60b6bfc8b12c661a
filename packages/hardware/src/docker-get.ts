import { request } from "node:http";

/** A successful answer of the Docker engine, with what its headers say about the engine. */
export interface DockerAnswer {
  /** The JSON body (undefined for GET /_ping, whose body is plain "OK"). */
  body: unknown;
  /** The `Api-Version` header: the API version the engine speaks; "" when it sent none. */
  apiVersion: string;
  /** The engine's version from the `Server` header ("Docker/20.10.24+dfsg1 (linux)"); "" when it sent none. */
  engineVersion: string;
  /**
   * The `Swarm` header of GET /_ping since API 1.44 (Docker 25): "inactive", "pending", "error",
   * "locked", "active/worker" or "active/manager"; "" from an older engine, which sends none.
   */
  swarm: string;
}

/** The version in a `Server` header such as "Docker/20.10.24+dfsg1 (linux)"; "" for anything else. */
export function engineVersionOf(server: string | undefined): string {
  return /^[^/\s]+\/(\S+)/.exec(server ?? "")?.[1] ?? "";
}

/**
 * GETs one answer of the Docker engine over its unix socket: the unversioned path dockerode uses
 * ("/info", "/_ping"), failing with Docker's message the way dockerode words it ("(HTTP code 500)
 * server error - ..."). Enough for the agent's probes, which then need no dockerode loaded. The
 * body must be JSON unless `json` is false.
 */
export function dockerGet(
  socketPath: string,
  path: string,
  signal: AbortSignal,
  json = true,
): Promise<DockerAnswer> {
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
          if (json && body === undefined)
            reject(new Error(`GET ${path} answered with no JSON: ${text.slice(0, 200)}`));
          else
            resolve({
              body: json ? body : undefined,
              apiVersion: String(res.headers["api-version"] ?? ""),
              engineVersion: engineVersionOf(String(res.headers.server ?? "")),
              swarm: String(res.headers.swarm ?? ""),
            });
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

/**
 * Runs `fn` with a signal that aborts after `timeoutMs`; a call cut off that way fails with
 * "no answer within <timeoutMs> ms" instead of the abort's own message.
 */
export async function withinTimeout<T>(
  timeoutMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    return await fn(abort.signal);
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
    abort.abort(); // whatever else the call had under way
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
