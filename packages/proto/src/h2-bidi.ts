import { EventEmitter } from "node:events";
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from "node:http2";
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { errorFromWire, GrpcCode } from "./error-info";
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  readWireStatus,
  responseProblem,
  type WireStatus,
} from "./grpc-wire";
import type { ClientTls } from "./tls-files";

/** Options of openBidiStream. */
export interface BidiStreamOptions {
  /** TLS material; plaintext HTTP/2 when absent. */
  tls?: ClientTls;
  /** Interval of HTTP/2 keepalive pings (default 10 s, as the grpc-js clients). */
  keepaliveMs?: number;
  /** A ping not answered in this time ends the stream as UNAVAILABLE (default 5 s). */
  keepaliveTimeoutMs?: number;
  /** Largest message sent or received (default 16 MiB, as the grpc-js channels). */
  maxMessageBytes?: number;
  /** Sent as user-agent. */
  userAgent?: string;
}

/** A typed bidirectional gRPC call: the events and methods of a grpc-js ClientDuplexStream that Phoenix uses. */
export interface BidiStream<I, O> {
  /** Sends a message; false when the stream asks the writer to wait for "drain". Throws once the call is over. */
  write(msg: I): boolean;
  /** Half-closes: no more messages from this side; responses still arrive. */
  end(): void;
  /** Ends the call now (RST_STREAM CANCEL) and closes its connection; emits "close" but no "error". */
  cancel(): void;
  on(event: "data", listener: (msg: O) => void): this;
  on(event: "error", listener: (err: PhoenixError) => void): this;
  /** "connect": the HTTP/2 connection (and TLS) is up; the call's headers are on their way. */
  on(event: "connect" | "end" | "close" | "drain", listener: () => void): this;
  once(event: "end" | "close" | "drain", listener: () => void): this;
  off(event: "end" | "close" | "drain", listener: () => void): this;
}

/**
 * Opens a bidirectional gRPC call over its own HTTP/2 connection (node:http2), speaking the gRPC wire
 * format: length-prefixed protobuf messages, `grpc-status`/`grpc-message` trailers (or a trailers-only
 * response), Phoenix's `phoenix-error-bin` ErrorInfo, HTTP/2 keepalive pings. Every way the call can
 * end emits "close" once; a non-OK status or a broken connection first emits one "error" carrying a
 * PhoenixError; an OK status emits "end".
 *
 * This is what phoenix-agent dials the coordinator with: one long-lived stream needs none of grpc-js's
 * channel machinery (name resolution, load balancing, retries, channelz), whose code would stay
 * resident in every guest.
 */
export function openBidiStream<M extends DescMethod>(
  method: M,
  address: string,
  opts: BidiStreamOptions = {},
): BidiStream<MessageShape<M["input"]>, MessageShape<M["output"]>> {
  return new H2BidiStream(method, address, opts) as BidiStream<
    MessageShape<M["input"]>,
    MessageShape<M["output"]>
  >;
}

class H2BidiStream extends EventEmitter {
  private readonly input: DescMessage;
  private readonly output: DescMessage;
  private readonly maxBytes: number;
  private readonly session: ClientHttp2Session;
  private readonly stream: ClientHttp2Stream;
  private readonly keepalive: NodeJS.Timeout;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Length of the message being read, once its prefix is in; -1 while waiting for a prefix. */
  private frameLen = -1;
  private status?: WireStatus;
  /** The first thing that went wrong on this side or on the connection; wins over a missing status. */
  private failure?: PhoenixError;
  private cancelled = false;
  private halfClosed = false;
  private over = false;

  constructor(method: DescMethod, address: string, opts: BidiStreamOptions) {
    super();
    this.input = method.input;
    this.output = method.output;
    this.maxBytes = opts.maxMessageBytes ?? 16 * 1024 * 1024;
    const tls = opts.tls;
    this.session = connect(`${tls ? "https" : "http"}://${address}`, {
      ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
      settings: { enablePush: false },
    });
    this.session.once("connect", () => this.emit("connect"));
    this.session.on("error", (err: NodeJS.ErrnoException) =>
      this.setFailure(GrpcCode.UNAVAILABLE, err.message || String(err)),
    );
    this.session.on("goaway", (code: number) => {
      if (code !== constants.NGHTTP2_NO_ERROR)
        this.setFailure(GrpcCode.UNAVAILABLE, `the server ended the connection (HTTP/2 GOAWAY ${code})`);
    });
    this.stream = this.session.request(
      {
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: `/${method.parent.typeName}/${method.name}`,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc+proto",
        [constants.HTTP2_HEADER_TE]: "trailers",
        [constants.HTTP2_HEADER_USER_AGENT]: opts.userAgent ?? "phoenix",
        "grpc-accept-encoding": "identity",
      },
      { endStream: false },
    );
    this.stream.on("response", (headers) => this.onResponse(headers));
    this.stream.on("trailers", (trailers) => this.readStatus(trailers));
    this.stream.on("data", (chunk: Buffer) => this.onChunk(chunk));
    this.stream.on("drain", () => this.emit("drain"));
    this.stream.on("error", (err: NodeJS.ErrnoException) =>
      this.setFailure(GrpcCode.UNAVAILABLE, err.message || String(err)),
    );
    // The server's END_STREAM (after trailers) ends the call even though this side may still be open.
    this.stream.on("end", () => this.finish());
    this.stream.on("close", () => this.finish());

    const keepaliveMs = opts.keepaliveMs ?? 10_000;
    const timeoutMs = opts.keepaliveTimeoutMs ?? 5_000;
    this.keepalive = setInterval(() => this.ping(timeoutMs), keepaliveMs);
    this.keepalive.unref();
  }

  write(msg: unknown): boolean {
    if (this.over || this.halfClosed) {
      throw new PhoenixError(ErrorCode.CANCELLED, "write on a gRPC call that is over");
    }
    const body = toBinary(this.input, msg as MessageShape<DescMessage>);
    if (body.length > this.maxBytes) {
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `message larger than max (${body.length} vs. ${this.maxBytes} bytes)`,
      );
    }
    return this.stream.write(encodeFrame(body));
  }

  end(): void {
    if (this.over || this.halfClosed) return;
    this.halfClosed = true;
    this.stream.end();
  }

  cancel(): void {
    if (this.over) return;
    this.cancelled = true;
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
    this.session.destroy();
  }

  private ping(timeoutMs: number): void {
    if (this.over || this.session.destroyed || !this.session.socket) return;
    const timer = setTimeout(() => {
      this.setFailure(GrpcCode.UNAVAILABLE, `keepalive ping not answered within ${timeoutMs} ms`);
      this.session.destroy();
    }, timeoutMs);
    timer.unref();
    try {
      this.session.ping(() => clearTimeout(timer));
    } catch {
      clearTimeout(timer);
    }
  }

  private onResponse(headers: IncomingHttpHeaders): void {
    const problem = responseProblem(headers, "the server answered ");
    if (problem) this.setFailure(problem.code, problem.message);
    // A trailers-only response carries the status in its one header block.
    if (headers["grpc-status"] !== undefined) this.readStatus(headers);
  }

  private readStatus(headers: IncomingHttpHeaders): void {
    this.status ??= readWireStatus(headers, "the server");
  }

  private onChunk(chunk: Buffer): void {
    if (this.over || this.failure) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.frameLen < 0) {
        if (this.pendingBytes < FRAME_HEADER_BYTES) return;
        const head = this.take(FRAME_HEADER_BYTES);
        const len = head.readUInt32BE(1);
        if (head[0] !== 0) {
          this.abort(GrpcCode.INTERNAL, "compressed message received; none was asked for");
          return;
        }
        if (len > this.maxBytes) {
          this.abort(
            GrpcCode.RESOURCE_EXHAUSTED,
            `received message larger than max (${len} vs. ${this.maxBytes} bytes)`,
          );
          return;
        }
        this.frameLen = len;
      }
      if (this.pendingBytes < this.frameLen) return;
      const body = this.take(this.frameLen);
      this.frameLen = -1;
      let msg: unknown;
      try {
        msg = fromBinary(this.output, body);
      } catch (err) {
        this.abort(GrpcCode.INTERNAL, `cannot decode ${this.output.typeName}: ${(err as Error).message}`);
        return;
      }
      this.emit("data", msg);
      if (this.over) return;
    }
  }

  /** The next `n` buffered bytes (n <= pendingBytes), copying only when they span chunks. */
  private take(n: number): Buffer {
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.pending[0]!;
        const use = Math.min(c.length, n - at);
        c.copy(out, at, 0, use);
        at += use;
        if (use === c.length) this.pending.shift();
        else this.pending[0] = c.subarray(use);
      }
    }
    this.pendingBytes -= n;
    return out;
  }

  private setFailure(code: number, message: string): void {
    if (this.over || this.cancelled || this.failure) return;
    this.failure = errorFromWire(code, message);
  }

  /** A protocol error on this side: the call ends with it. */
  private abort(code: number, message: string): void {
    this.setFailure(code, message);
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    clearInterval(this.keepalive);
    this.pending = [];
    let err: PhoenixError | undefined;
    if (!this.cancelled) {
      const s = this.status;
      if (this.failure && (!s || s.code === GrpcCode.OK)) err = this.failure;
      else if (s && s.code !== GrpcCode.OK) err = errorFromWire(s.code, s.message, s.errorInfo);
      else if (!s) err = this.noStatus();
    }
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_NO_ERROR);
    this.session.close();
    if (!this.cancelled) {
      if (!err) this.emit("end");
      // An "error" nobody listens to would be thrown from the socket's callback.
      else if (this.listenerCount("error") > 0) this.emit("error", err);
    }
    this.emit("close");
  }

  private noStatus(): PhoenixError {
    const rst = this.stream.rstCode;
    if (rst === constants.NGHTTP2_REFUSED_STREAM)
      return errorFromWire(GrpcCode.UNAVAILABLE, "the server refused the stream");
    // A stream torn down with its connection also reads CANCEL; only a live connection means the server did it.
    if (rst === constants.NGHTTP2_CANCEL && !this.session.destroyed && !this.session.closed)
      return errorFromWire(GrpcCode.CANCELLED, "the server cancelled the call");
    return errorFromWire(GrpcCode.UNAVAILABLE, "the connection closed before the call ended");
  }
}
