import {
  ClusterServiceCodec,
  clientTls,
  createH2Channel,
  type H2CallOptions,
  type WireMethod,
} from "@phoenix/proto";
import type { Connection } from "./settings";

type Methods = typeof ClusterServiceCodec;

/** Options of one call. */
export interface CallOptions {
  /** Milliseconds until the call fails with TIMEOUT (sent as grpc-timeout too). */
  timeoutMs?: number;
  /** Cancels the call when aborted. */
  signal?: AbortSignal;
}

type ClientMethod<M> =
  M extends WireMethod<unknown, infer Out, infer InInit, "unary">
    ? (req: InInit, opts?: CallOptions) => Promise<Out>
    : M extends WireMethod<unknown, infer Out, infer InInit, "server_streaming">
      ? (req: InInit, opts?: CallOptions) => AsyncIterable<Out>
      : never;

/** The typed ClusterService client the commands use: one function per method, errors thrown as PhoenixError. */
export type ClusterClient = { [K in keyof Methods]: ClientMethod<Methods[K]> } & {
  /** Closes the connection; calls still running end with CANCELLED. */
  close(): void;
};

/**
 * Connects to the coordinator with the API token in every call's metadata. ClusterService's unary and
 * server-streaming calls over one HTTP/2 connection, opened on the first call, on @phoenix/proto's own
 * small HTTP/2 client: a CLI process makes one call (`services scale` one per service), and neither
 * grpc-js's channel machinery (name resolution, load balancing, retries, channelz) nor node:http2 and its
 * nghttp2 session is worth loading for it. A server stream stops reading while 64 messages wait for the
 * reader (`events --follow`, `services logs -f`), and long streams are kept alive with pings.
 */
export function connect(conn: Connection): ClusterClient {
  const channel = createH2Channel(conn.coordinator, {
    tls: clientTls(conn.tlsCa ? { caFile: conn.tlsCa } : {}),
    userAgent: "phoenix-cli",
  });
  const callOptions = (opts: CallOptions): H2CallOptions => {
    const metadata: Record<string, string> = {};
    if (conn.token) metadata.authorization = `Bearer ${conn.token}`;
    return { metadata, timeoutMs: opts.timeoutMs, signal: opts.signal };
  };
  const client: Record<string, unknown> = { close: () => channel.close() };
  for (const [name, method] of Object.entries(ClusterServiceCodec) as [string, WireMethod][]) {
    client[name] =
      method.kind === "unary"
        ? (req: unknown, opts: CallOptions = {}) =>
            channel.unary(method as WireMethod<unknown, unknown, unknown, "unary">, req, callOptions(opts))
        : (req: unknown, opts: CallOptions = {}) =>
            channel.serverStream(
              method as WireMethod<unknown, unknown, unknown, "server_streaming">,
              req,
              callOptions(opts),
            );
  }
  return client as ClusterClient;
}
