import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  connect as http2Connect,
  type IncomingHttpHeaders,
} from "node:http2";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  ClusterService,
  clientTls,
  create,
  encodeFrame,
  errorFromWire,
  FRAME_HEADER_BYTES,
  fromBinary,
  GrpcCode,
  type MessageInitShape,
  type MessageShape,
  readWireStatus,
  responseProblem,
  toBinary,
  type WireStatus,
} from "@phoenix/proto";
import type { Connection } from "./settings";

type Method = (typeof ClusterService.methods)[number];
type Methods = typeof ClusterService.method;

/** Options of one call. */
export interface CallOptions {
  /** Milliseconds until the call fails with TIMEOUT (sent as grpc-timeout too). */
  timeoutMs?: number;
  /** Cancels the call when aborted. */
  signal?: AbortSignal;
}

type ClientMethod<M extends Method> = M["methodKind"] extends "unary"
  ? (req: MessageInitShape<M["input"]>, opts?: CallOptions) => Promise<MessageShape<M["output"]>>
  : M["methodKind"] extends "server_streaming"
    ? (req: MessageInitShape<M["input"]>, opts?: CallOptions) => AsyncIterable<MessageShape<M["output"]>>
    : never;

/** The typed ClusterService client the commands use: one function per method, errors thrown as PhoenixError. */
export type ClusterClient = { [K in keyof Methods]: ClientMethod<Methods[K]> } & {
  /** Closes the connection; calls still running end with CANCELLED. */
  close(): void;
};

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Like grpc-js's minimum connect timeout: a coordinator that does not answer at all is given up on. */
const CONNECT_TIMEOUT_MS = 20_000;
/** Keepalive of long streams (events --follow, services logs -f), as the grpc-js clients do. */
const KEEPALIVE_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 5_000;
/** A server stream stops reading from the socket while this many messages wait for the reader. */
const QUEUE_HIGH = 64;

/**
 * Connects to the coordinator with the API token in every call's metadata. ClusterService's
 * unary and server-streaming calls over one HTTP/2 connection (node:http2) in gRPC's wire format,
 * opened on the first call: a CLI process makes one or two calls, and grpc-js's channel machinery
 * (name resolution, load balancing, retries, channelz) would cost it more to load than the calls take.
 */
export function connect(conn: Connection): ClusterClient {
  const tls = clientTls(conn.tlsCa ? { caFile: conn.tlsCa } : {});
  let session: ClientHttp2Session | undefined;
  let closed = false;

  const open = (): ClientHttp2Session => {
    if (session && !session.destroyed && !session.closed) return session;
    const s = http2Connect(`${tls ? "https" : "http"}://${conn.coordinator}`, {
      ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
      settings: { enablePush: false },
    });
    // The calls get a failed connection's error through their streams; it must not go unhandled here.
    s.on("error", () => {});
    const connectTimer = setTimeout(
      () => s.destroy(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
    connectTimer.unref();
    s.once("connect", () => clearTimeout(connectTimer));
    s.once("close", () => clearTimeout(connectTimer));
    const keepalive = setInterval(() => {
      if (s.destroyed || !s.socket) return;
      const timer = setTimeout(
        () => s.destroy(new Error(`keepalive ping not answered within ${KEEPALIVE_TIMEOUT_MS} ms`)),
        KEEPALIVE_TIMEOUT_MS,
      );
      timer.unref();
      s.ping(() => clearTimeout(timer));
    }, KEEPALIVE_MS);
    keepalive.unref();
    s.once("close", () => clearInterval(keepalive));
    session = s;
    return s;
  };

  const start = (method: Method, req: unknown, opts: CallOptions): Call => {
    if (closed) throw new PhoenixError(ErrorCode.CANCELLED, "the client is closed");
    const headers: Record<string, string> = {
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: `/${ClusterService.typeName}/${method.name}`,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc+proto",
      [constants.HTTP2_HEADER_TE]: "trailers",
      [constants.HTTP2_HEADER_USER_AGENT]: "phoenix-cli",
      "grpc-accept-encoding": "identity",
    };
    if (conn.token) headers.authorization = `Bearer ${conn.token}`;
    if (opts.timeoutMs !== undefined) headers["grpc-timeout"] = grpcTimeout(opts.timeoutMs);
    const body = toBinary(method.input, create(method.input, req as MessageInitShape<typeof method.input>));
    return new Call(open(), headers, encodeFrame(body), method, opts);
  };

  const client: Record<string, unknown> = {
    close: () => {
      closed = true;
      session?.close();
    },
  };
  for (const method of ClusterService.methods) {
    client[method.localName] =
      method.methodKind === "unary"
        ? async (req: unknown, opts: CallOptions = {}) => {
            let reply: unknown;
            for await (const msg of start(method, req, opts).messages()) reply ??= msg;
            if (reply === undefined)
              throw errorFromWire(GrpcCode.INTERNAL, `${method.name} answered no message`);
            return reply;
          }
        : (req: unknown, opts: CallOptions = {}) => start(method, req, opts).messages();
  }
  return client as ClusterClient;
}

/** A `grpc-timeout` header value: at most 8 digits and a unit (milliseconds, seconds or hours). */
export function grpcTimeout(ms: number): string {
  const milli = Math.max(1, Math.ceil(ms));
  if (milli <= 99_999_999) return `${milli}m`;
  const seconds = Math.ceil(milli / 1000);
  return seconds <= 99_999_999 ? `${seconds}S` : `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}

/** One call on the shared connection: its messages as they arrive, then its status. */
class Call {
  private readonly stream: ClientHttp2Stream;
  private readonly queue: unknown[] = [];
  private wake: (() => void) | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private status?: WireStatus;
  private failure?: PhoenixError;
  private done = false;
  private readonly timer?: NodeJS.Timeout;
  private readonly onAbort = () =>
    this.stop(errorFromWire(GrpcCode.CANCELLED, "the call was cancelled"), constants.NGHTTP2_CANCEL);

  constructor(
    session: ClientHttp2Session,
    headers: Record<string, string>,
    request: Buffer,
    private readonly method: Method,
    private readonly opts: CallOptions,
  ) {
    this.stream = session.request(headers, { endStream: false });
    this.stream.on("response", (h) => this.onResponse(h));
    this.stream.on("trailers", (h) => this.readStatus(h));
    this.stream.on("data", (chunk: Buffer) => this.onData(chunk));
    this.stream.on("error", (err: Error) => {
      // A call waiting for a connection that failed is cancelled with the connection's error as cause.
      const cause = err.cause instanceof Error ? err.cause : err;
      this.fail(GrpcCode.UNAVAILABLE, cause.message || String(cause));
    });
    this.stream.on("close", () => this.finish());
    this.stream.end(request);
    if (opts.timeoutMs !== undefined) {
      this.timer = setTimeout(
        () =>
          this.stop(
            errorFromWire(GrpcCode.DEADLINE_EXCEEDED, `no answer within ${opts.timeoutMs} ms`),
            constants.NGHTTP2_CANCEL,
          ),
        opts.timeoutMs,
      );
    }
    if (opts.signal?.aborted) this.onAbort();
    else opts.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** The call's messages; throws the call's error (a PhoenixError) after the last one it got. */
  async *messages(): AsyncGenerator<unknown> {
    try {
      for (;;) {
        if (this.queue.length > 0) {
          const msg = this.queue.shift();
          if (this.queue.length < QUEUE_HIGH / 2 && this.stream.isPaused()) this.stream.resume();
          yield msg;
          continue;
        }
        if (this.done) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      const err = this.error();
      if (err) throw err;
    } finally {
      // The reader stopped early (break, throw): the call is not needed any more.
      if (!this.done) this.stop(undefined, constants.NGHTTP2_CANCEL);
    }
  }

  private onResponse(headers: IncomingHttpHeaders): void {
    const problem = responseProblem(headers, "");
    if (problem) this.fail(problem.code, problem.message);
    // A trailers-only answer (an error before any message) carries the status in its headers.
    if (headers["grpc-status"] !== undefined) this.readStatus(headers);
  }

  private readStatus(headers: IncomingHttpHeaders): void {
    this.status ??= readWireStatus(headers, "the coordinator");
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= FRAME_HEADER_BYTES) {
      const len = this.buffered.readUInt32BE(1);
      if (this.buffered[0] !== 0) {
        this.stop(errorFromWire(GrpcCode.INTERNAL, "compressed message received"), constants.NGHTTP2_CANCEL);
        return;
      }
      if (len > MAX_MESSAGE_BYTES) {
        const message = `message larger than ${MAX_MESSAGE_BYTES} bytes (${len})`;
        this.stop(errorFromWire(GrpcCode.RESOURCE_EXHAUSTED, message), constants.NGHTTP2_CANCEL);
        return;
      }
      if (this.buffered.length < FRAME_HEADER_BYTES + len) return;
      const body = this.buffered.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len);
      this.buffered = this.buffered.subarray(FRAME_HEADER_BYTES + len);
      try {
        this.queue.push(fromBinary(this.method.output, body));
      } catch (err) {
        const message = `cannot decode ${this.method.output.typeName}: ${(err as Error).message}`;
        this.stop(errorFromWire(GrpcCode.INTERNAL, message), constants.NGHTTP2_CANCEL);
        return;
      }
      if (this.queue.length >= QUEUE_HIGH) this.stream.pause();
      this.notify();
    }
  }

  private fail(code: number, message: string): void {
    this.failure ??= errorFromWire(code, message);
  }

  /** Ends the call from this side: `err` is what the reader gets (none when it stopped reading). */
  private stop(err: PhoenixError | undefined, rstCode: number): void {
    if (this.done) return;
    if (err) this.failure ??= err;
    else this.failure ??= errorFromWire(GrpcCode.CANCELLED, "the call was cancelled");
    if (!this.stream.destroyed) this.stream.close(rstCode);
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.opts.signal?.removeEventListener("abort", this.onAbort);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** What the call ended with: its non-OK status, else what went wrong on this side or on the connection. */
  private error(): PhoenixError | undefined {
    const s = this.status;
    if (s) return s.code === GrpcCode.OK ? undefined : errorFromWire(s.code, s.message, s.errorInfo);
    if (this.failure) return this.failure;
    if (this.stream.rstCode === constants.NGHTTP2_REFUSED_STREAM)
      return errorFromWire(GrpcCode.UNAVAILABLE, "the coordinator refused the call");
    return errorFromWire(GrpcCode.UNAVAILABLE, "the connection closed before the call ended");
  }
}
