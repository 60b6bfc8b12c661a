import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type Dockerode from "dockerode";
import type { EngineInfo, EngineSwarm } from "./engine-types";
import { redact } from "./redact";

export type { default as Dockerode } from "dockerode";

/** Returns the Docker client of a socket, loading dockerode on first use only (it is large). */
export function createDockerProvider(socketPath: string): () => Promise<Dockerode> {
  let client: Promise<Dockerode> | undefined;
  return () => {
    client ??= import("dockerode").then((m) => new m.default({ socketPath }));
    return client;
  };
}

const UNREACHABLE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/** Maps a dockerode failure of `what` to a PhoenixError with a typed code and Docker's own message. */
export function dockerError(err: unknown, what: string, secrets: readonly string[] = []): PhoenixError {
  if (err instanceof PhoenixError) return err;
  const e = (err ?? {}) as {
    statusCode?: number;
    json?: unknown;
    message?: string;
    code?: string;
    name?: string;
  };
  if (e.name === "AbortError")
    return new PhoenixError(ErrorCode.CANCELLED, `${what}: aborted`, { cause: err });
  if (e.code && UNREACHABLE.has(e.code)) {
    return new PhoenixError(ErrorCode.DOCKER, `${what}: Docker is not reachable (${e.code})`, { cause: err });
  }
  const body = e.json as { message?: unknown } | undefined;
  const said =
    body && typeof body === "object" && !Buffer.isBuffer(body) && typeof body.message === "string"
      ? body.message
      : (e.message ?? String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
  const message = redact(`${what}: ${said}`, secrets);
  const code =
    e.statusCode === 503 && /not a swarm manager/i.test(said)
      ? ErrorCode.NO_MANAGER
      : e.statusCode === 404
        ? ErrorCode.NOT_FOUND
        : e.statusCode === 400
          ? ErrorCode.INVALID_ARGUMENT
          : e.statusCode === 409
            ? ErrorCode.CONFLICT
            : ErrorCode.DOCKER;
  return new PhoenixError(code, message, { cause: err });
}

/** Reads `GET /info`, failing with a DOCKER error when the engine does not answer. */
export async function engineInfo(docker: Dockerode, signal: AbortSignal): Promise<EngineInfo> {
  try {
    return (await (docker.info as (o: object) => Promise<EngineInfo>)({ abortSignal: signal })) ?? {};
  } catch (err) {
    throw dockerError(err, "docker info");
  }
}

/** The swarm state of this engine in Docker's words: "inactive", "pending", "active", "locked", "error". */
export function localNodeState(info: EngineInfo): string {
  return info.Swarm?.LocalNodeState || "inactive";
}

/** Calls a dockerode method with an abort signal, mapping failures through dockerError. */
export async function dockerCall<T>(
  what: string,
  call: () => Promise<unknown>,
  secrets: readonly string[] = [],
): Promise<T> {
  try {
    return (await call()) as T;
  } catch (err) {
    throw dockerError(err, what, secrets);
  }
}

/** Reads `GET /swarm` (manager only: a worker gets NO_MANAGER). */
export function inspectSwarm(docker: Dockerode, signal: AbortSignal): Promise<EngineSwarm> {
  return dockerCall<EngineSwarm>("swarm inspect", () =>
    (docker.swarmInspect as (o: object) => Promise<unknown>)({ abortSignal: signal }),
  );
}
