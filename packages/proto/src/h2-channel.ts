import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { WireMethod } from "./codec";
import { errorFromWire, GrpcCode } from "./error-info";
import { GrpcCall } from "./grpc-call";
import { grpcTimeout, metadataFields } from "./grpc-metadata";
import { H2Connection } from "./h2/connection";
import type { HeaderField } from "./h2/hpack";
import type { ClientTls } from "./tls-files";

/** Options of createH2Channel. */
export interface H2ChannelOptions {
  /** TLS material; plaintext HTTP/2 when absent. */
  tls?: ClientTls;
  /** Sent as user-agent (default "phoenix"). */
  userAgent?: string;
  /** Largest message sent or received (default 16 MiB, as the grpc-js channels). */
  maxMessageBytes?: number;
  /** Interval of HTTP/2 keepalive pings (default 10 s, as the grpc-js clients). */
  keepaliveMs?: number;
  /** A ping not answered in this time fails the connection's calls as UNAVAILABLE (default 5 s). */
  keepaliveTimeoutMs?: number;
  /** A server that does not answer at all is given up on after this (default 20 s, grpc-js's minimum). */
  connectTimeoutMs?: number;
  /** A server stream stops reading (the server stops sending) while this many messages wait (default 64). */
  maxQueuedMessages?: number;
}

/** Options of one call. */
export interface H2CallOptions {
  /** Request metadata, checked by gRPC's rules: `authorization`, `grpc-timeout`, ... */
  metadata?: Readonly<Record<string, string>>;
  /** Milliseconds until the call ends here with DEADLINE_EXCEEDED; sent to the server as grpc-timeout. */
  timeoutMs?: number;
  /** Cancels the call (CANCELLED) when aborted. */
  signal?: AbortSignal;
}

/** Unary and server-streaming gRPC calls over one HTTP/2 connection; errors are thrown as PhoenixError. */
export interface H2Channel {
  unary<In, Out, InInit>(
    method: WireMethod<In, Out, InInit, "unary">,
    req: InInit,
    opts?: H2CallOptions,
  ): Promise<Out>;
  /** The stream's messages; the call's error is thrown after the last one it got; leaving early cancels it. */
  serverStream<In, Out, InInit>(
    method: WireMethod<In, Out, InInit, "server_streaming">,
    req: InInit,
    opts?: H2CallOptions,
  ): AsyncIterable<Out>;
  /** Closes the connection; calls still running end with CANCELLED. */
  close(): void;
}

/**
 * A gRPC channel to `host:port` on Phoenix's own HTTP/2 client (./h2) instead of node:http2 or grpc-js:
 * every call of the channel shares one connection, opened with the first call (and again after the
 * server sent GOAWAY), so a short-lived process loads and sets up only what its one or two calls need.
 */
export function createH2Channel(address: string, opts: H2ChannelOptions = {}): H2Channel {
  let conn: H2Connection | undefined;
  let closed = false;
  const calls = new Set<ReadCall>();

  const start = (method: WireMethod, req: unknown, callOpts: H2CallOptions = {}): ReadCall => {
    if (closed) throw new PhoenixError(ErrorCode.CANCELLED, "the client is closed");
    // The server learns the deadline from grpc-timeout, unless the caller set that header itself.
    const metadata: Record<string, string> = {};
    if (callOpts.timeoutMs !== undefined) metadata["grpc-timeout"] = grpcTimeout(callOpts.timeoutMs);
    const fields = metadataFields({ ...metadata, ...callOpts.metadata });
    if (!conn?.usable) {
      conn = new H2Connection(address, { ...opts, connectTimeoutMs: opts.connectTimeoutMs ?? 20_000 });
    }
    const call = new ReadCall(conn, method, fields, callOpts, opts, () => calls.delete(call));
    calls.add(call);
    call.send(req);
    return call;
  };

  return {
    unary: async (method: WireMethod, req: unknown, callOpts?: H2CallOptions) => {
      let reply: unknown;
      for await (const msg of start(method, req, callOpts).messages()) reply ??= msg;
      if (reply === undefined) throw errorFromWire(GrpcCode.INTERNAL, `${method.path} answered no message`);
      return reply as never;
    },
    serverStream: (method: WireMethod, req: unknown, callOpts?: H2CallOptions) =>
      start(method, req, callOpts).messages() as never,
    close: () => {
      closed = true;
      for (const call of [...calls]) call.stop();
      conn?.close();
    },
  };
}

/** One call whose request is a single message: its messages as they arrive, then its error if any. */
class ReadCall {
  private readonly call: GrpcCall;
  private readonly queue: unknown[] = [];
  private readonly high: number;
  private wake?: () => void;
  private done = false;
  private error?: PhoenixError;
  private timer?: NodeJS.Timeout;
  private readonly timeoutMs?: number;
  private readonly signal?: AbortSignal;
  private readonly onAbort = () => this.stop();

  constructor(
    conn: H2Connection,
    method: WireMethod,
    metadata: HeaderField[],
    callOpts: H2CallOptions,
    opts: H2ChannelOptions,
    onDone: () => void,
  ) {
    this.high = opts.maxQueuedMessages ?? 64;
    this.call = new GrpcCall(
      conn,
      method,
      { ...opts, metadata },
      {
        onMessage: (msg) => {
          this.queue.push(msg);
          // The reader is behind: the server is held back until it catches up.
          if (this.queue.length >= this.high) this.call.stream.pause();
          this.notify();
        },
        onClose: (err) => {
          this.done = true;
          this.error = err;
          clearTimeout(this.timer);
          this.signal?.removeEventListener("abort", this.onAbort);
          onDone();
          this.notify();
        },
      },
    );
    this.timeoutMs = callOpts.timeoutMs;
    this.signal = callOpts.signal;
  }

  /** Sends the request and half-closes; throws (the call cancelled) when the request cannot be sent. */
  send(req: unknown): void {
    try {
      this.call.write(req);
      this.call.end();
    } catch (err) {
      this.call.cancel();
      throw err;
    }
    const ms = this.timeoutMs;
    if (ms !== undefined) {
      this.timer = setTimeout(
        () => this.call.abort(GrpcCode.DEADLINE_EXCEEDED, `no answer within ${ms} ms`),
        ms,
      );
    }
    if (this.signal?.aborted) this.stop();
    else this.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Ends the call from this side with CANCELLED. */
  stop(): void {
    this.call.abort(GrpcCode.CANCELLED, "the call was cancelled");
  }

  /** The call's messages; throws the call's error after the last one it got. */
  async *messages(): AsyncGenerator<unknown> {
    try {
      for (;;) {
        if (this.queue.length > 0) {
          const msg = this.queue.shift();
          if (this.queue.length < this.high / 2) this.call.stream.resume();
          yield msg;
          continue;
        }
        if (this.done) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      if (this.error) throw this.error;
    } finally {
      // The reader stopped early (break, throw): the call is not needed any more.
      if (!this.done) this.stop();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
