import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders } from "node:http2";
import { connect as netConnect, type Socket } from "node:net";
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { errorFromWire, GrpcCode } from "./error-info";
import {
  encodeFrame as encodeMessage,
  FRAME_HEADER_BYTES,
  readWireStatus,
  responseProblem,
  type WireStatus,
} from "./grpc-wire";
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  goawayFrame,
  H2Error,
  MAX_WINDOW,
  rstStreamFrame,
  Setting,
  settingsFrame,
  unpad,
  windowUpdateFrame,
} from "./h2/frames";
import { encodeHeaders, type HeaderField, HpackDecoder } from "./h2/hpack";
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
  /** "connect": the connection (and TLS) is up; the call's headers are on their way. */
  on(event: "connect" | "end" | "close" | "drain", listener: () => void): this;
  once(event: "end" | "close" | "drain", listener: () => void): this;
  off(event: "end" | "close" | "drain", listener: () => void): this;
}

/**
 * Opens a bidirectional gRPC call over its own HTTP/2 connection, speaking the gRPC wire format:
 * length-prefixed protobuf messages, `grpc-status`/`grpc-message` trailers (or a trailers-only
 * response), Phoenix's `phoenix-error-bin` ErrorInfo, HTTP/2 keepalive pings. Every way the call can
 * end emits "close" once; a non-OK status or a broken connection first emits one "error" carrying a
 * PhoenixError; an OK status emits "end".
 *
 * This is what phoenix-agent dials the coordinator with. The HTTP/2 client is the small one in ./h2
 * (one stream, HPACK, flow control, pings) over node:net, or node:tls when TLS is asked for: an
 * agent keeps its one long-lived stream with none of grpc-js's channel machinery and without node:http2,
 * whose JavaScript and nghttp2 state would stay resident in every guest.
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

/** The one stream of each connection. */
const STREAM = 1;
/** Receive window of the stream and the connection; a WINDOW_UPDATE goes out once half of it is used. */
const RECEIVE_WINDOW = 1024 * 1024;
/** Largest header block accepted (all HEADERS and CONTINUATION frames of one block). */
const MAX_HEADER_BLOCK = 256 * 1024;

/** Where to dial `host:port` or `[v6]:port`. */
function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  if (!m) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `"${address}" is not host:port`);
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

class H2BidiStream extends EventEmitter {
  private readonly input: DescMessage;
  private readonly output: DescMessage;
  private readonly maxBytes: number;
  private readonly keepalive: NodeJS.Timeout;
  private socket?: Socket;
  /** Frames written before the socket exists (TLS is loaded first). */
  private early: Buffer[] = [];
  private readonly frames = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  private readonly hpack = new HpackDecoder();
  /** A header block still waiting for CONTINUATION frames. */
  private headerBlock?: { parts: Buffer[]; bytes: number; endStream: boolean };
  private gotHeaders = false;

  // Sending: gRPC frames wait here until the peer's flow-control windows let them out.
  private queue: Buffer[] = [];
  private queueBytes = 0;
  private endQueued = false;
  private endSent = false;
  private connWindow = DEFAULT_WINDOW;
  private streamWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  private wantDrain = false;
  private socketFull = false;

  // Receiving.
  private unacked = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Length of the message being read, once its prefix is in; -1 while waiting for a prefix. */
  private frameLen = -1;
  private status?: WireStatus;
  private rstCode?: number;
  private remoteEnded = false;
  private pingTimer?: NodeJS.Timeout;

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
    const { host, port } = parseAddress(address);

    this.send(CLIENT_PREFACE);
    this.send(
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, RECEIVE_WINDOW],
        [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_BLOCK],
      ]),
    );
    this.send(windowUpdateFrame(0, RECEIVE_WINDOW - DEFAULT_WINDOW));
    const tls = opts.tls;
    const request: HeaderField[] = [
      [":method", "POST"],
      [":scheme", tls ? "https" : "http"],
      [":path", `/${method.parent.typeName}/${method.name}`],
      [":authority", address],
      ["content-type", "application/grpc+proto"],
      ["te", "trailers"],
      ["user-agent", opts.userAgent ?? "phoenix"],
      ["grpc-accept-encoding", "identity"],
    ];
    this.send(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, STREAM, encodeHeaders(request)));

    if (tls) {
      // node:tls is loaded only by an agent configured for TLS.
      import("node:tls").then(
        ({ connect }) => {
          if (this.over) return;
          const servername = /^[\d.]+$|:/.test(host) ? undefined : host;
          this.attach(
            connect({
              host,
              port,
              ca: tls.ca,
              cert: tls.cert,
              key: tls.key,
              servername,
              ALPNProtocols: ["h2"],
            }),
            "secureConnect",
          );
        },
        (err: Error) => this.fail(GrpcCode.UNAVAILABLE, err.message),
      );
    } else {
      this.attach(netConnect({ host, port }), "connect");
    }

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
    this.queue.push(encodeMessage(body));
    this.queueBytes += FRAME_HEADER_BYTES + body.length;
    this.flush();
    const ok = this.queueBytes === 0 && !this.socketFull;
    if (!ok) this.wantDrain = true;
    return ok;
  }

  end(): void {
    if (this.over || this.halfClosed) return;
    this.halfClosed = true;
    this.endQueued = true;
    this.flush();
  }

  cancel(): void {
    if (this.over) return;
    this.cancelled = true;
    this.send(rstStreamFrame(STREAM, H2Error.CANCEL));
    this.close(false);
  }

  private attach(socket: Socket, ready: "connect" | "secureConnect"): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once(ready, () => {
      const alpn = (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol;
      if (ready === "secureConnect" && alpn !== "h2" && alpn !== false && alpn !== undefined) {
        this.fail(GrpcCode.UNAVAILABLE, `the server chose ${alpn} over TLS, not HTTP/2`);
        return;
      }
      this.emit("connect");
    });
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("drain", () => {
      this.socketFull = false;
      this.flush();
    });
    socket.on("error", (err: NodeJS.ErrnoException) =>
      this.setFailure(GrpcCode.UNAVAILABLE, err.message || String(err)),
    );
    socket.on("close", () => this.finish());
    for (const b of this.early) this.socketFull = !socket.write(b);
    this.early = [];
  }

  /** Writes one frame (or the preface), before the socket exists too. */
  private send(buf: Buffer): void {
    if (!this.socket) this.early.push(buf);
    else if (!this.socket.destroyed) this.socketFull = !this.socket.write(buf);
  }

  /** Sends what the peer's windows allow, then END_STREAM once everything is out and end() was called. */
  private flush(): void {
    if (this.over) return;
    while (this.queue.length > 0) {
      const room = Math.min(this.connWindow, this.streamWindow, this.peerMaxFrame);
      if (room <= 0) return;
      const head = this.queue[0]!;
      const n = Math.min(room, head.length);
      const last = n === head.length && this.queue.length === 1 && this.endQueued;
      this.send(encodeFrame(FrameType.DATA, last ? Flag.END_STREAM : 0, STREAM, head.subarray(0, n)));
      if (last) this.endSent = true;
      this.connWindow -= n;
      this.streamWindow -= n;
      this.queueBytes -= n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (this.endQueued && !this.endSent) {
      this.endSent = true;
      this.send(encodeFrame(FrameType.DATA, Flag.END_STREAM, STREAM));
    }
    if (this.wantDrain && this.queueBytes === 0 && !this.socketFull) {
      this.wantDrain = false;
      this.emit("drain");
    }
  }

  private onBytes(chunk: Buffer): void {
    if (this.over) return;
    let frames: Frame[];
    try {
      frames = this.frames.push(chunk);
    } catch (err) {
      this.connectionError(H2Error.FRAME_SIZE_ERROR, (err as Error).message);
      return;
    }
    for (const f of frames) {
      try {
        this.onFrame(f);
      } catch (err) {
        this.connectionError(H2Error.PROTOCOL_ERROR, (err as Error).message);
      }
      if (this.over) return;
    }
  }

  private onFrame(f: Frame): void {
    if (this.headerBlock && f.type !== FrameType.CONTINUATION) {
      throw new Error("header block interrupted by another frame");
    }
    switch (f.type) {
      case FrameType.DATA:
        this.onData(f);
        return;
      case FrameType.HEADERS:
        this.headerBlock = { parts: [], bytes: 0, endStream: (f.flags & Flag.END_STREAM) !== 0 };
        this.onHeaderFragment(f, unpad(f));
        return;
      case FrameType.CONTINUATION:
        if (!this.headerBlock) throw new Error("CONTINUATION without HEADERS");
        this.onHeaderFragment(f, f.payload);
        return;
      case FrameType.SETTINGS:
        this.onSettings(f);
        return;
      case FrameType.PING:
        if (f.payload.length !== 8) throw new Error("PING of the wrong size");
        if (f.flags & Flag.ACK) {
          clearTimeout(this.pingTimer);
          this.pingTimer = undefined;
        } else {
          this.send(encodeFrame(FrameType.PING, Flag.ACK, 0, f.payload));
        }
        return;
      case FrameType.WINDOW_UPDATE: {
        const inc = f.payload.readUInt32BE(0) & MAX_WINDOW;
        if (f.streamId === 0) this.connWindow += inc;
        else if (f.streamId === STREAM) this.streamWindow += inc;
        if (this.connWindow > MAX_WINDOW || this.streamWindow > MAX_WINDOW)
          throw new Error("flow-control window overflow");
        this.flush();
        return;
      }
      case FrameType.RST_STREAM:
        if (f.streamId !== STREAM) return;
        this.rstCode = f.payload.readUInt32BE(0);
        this.close(false);
        return;
      case FrameType.GOAWAY: {
        const lastStream = f.payload.readUInt32BE(0) & MAX_WINDOW;
        const code = f.payload.readUInt32BE(4);
        if (code !== H2Error.NO_ERROR)
          this.setFailure(GrpcCode.UNAVAILABLE, `the server ended the connection (HTTP/2 GOAWAY ${code})`);
        // A graceful GOAWAY that covers this stream lets it finish.
        if (code !== H2Error.NO_ERROR || lastStream < STREAM) this.close(false);
        return;
      }
      case FrameType.PUSH_PROMISE:
        throw new Error("PUSH_PROMISE although push is disabled");
      default:
        // PRIORITY and frame types this side does not know are ignored (RFC 9113 5.5).
        return;
    }
  }

  private onSettings(f: Frame): void {
    if (f.flags & Flag.ACK) return;
    if (f.payload.length % 6 !== 0) throw new Error("SETTINGS of the wrong size");
    for (let at = 0; at < f.payload.length; at += 6) {
      const id = f.payload.readUInt16BE(at);
      const value = f.payload.readUInt32BE(at + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new Error("initial window size too large");
        this.streamWindow += value - this.peerInitialWindow;
        this.peerInitialWindow = value;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 0xffffff) throw new Error("invalid max frame size");
        this.peerMaxFrame = value;
      }
    }
    this.send(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
    this.flush();
  }

  private onHeaderFragment(f: Frame, fragment: Buffer): void {
    const block = this.headerBlock!;
    block.parts.push(fragment);
    block.bytes += fragment.length;
    if (block.bytes > MAX_HEADER_BLOCK) throw new Error(`header block over ${MAX_HEADER_BLOCK} bytes`);
    if (!(f.flags & Flag.END_HEADERS)) return;
    this.headerBlock = undefined;
    let fields: HeaderField[];
    try {
      fields = this.hpack.decode(Buffer.concat(block.parts, block.bytes));
    } catch (err) {
      this.connectionError(H2Error.COMPRESSION_ERROR, (err as Error).message);
      return;
    }
    if (f.streamId !== STREAM) return;
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of fields) {
      const had = headers[name];
      headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      const problem = responseProblem(headers, "the server answered ");
      if (problem) this.setFailure(problem.code, problem.message);
      // A trailers-only response carries the status in its one header block.
      if (headers["grpc-status"] !== undefined) this.status ??= readWireStatus(headers, "the server");
    } else {
      this.status ??= readWireStatus(headers, "the server");
    }
    if (block.endStream) this.remoteEnd();
  }

  private onData(f: Frame): void {
    if (f.streamId !== STREAM) throw new Error(`DATA on stream ${f.streamId}`);
    // Flow control counts the whole frame, padding included.
    this.unacked += f.payload.length;
    if (this.unacked >= RECEIVE_WINDOW / 2) {
      this.send(windowUpdateFrame(0, this.unacked));
      if (!this.remoteEnded) this.send(windowUpdateFrame(STREAM, this.unacked));
      this.unacked = 0;
    }
    const body = unpad(f);
    if (body.length > 0) this.onChunk(body);
    if (!this.over && f.flags & Flag.END_STREAM) this.remoteEnd();
  }

  private remoteEnd(): void {
    this.remoteEnded = true;
    this.close(false);
  }

  private ping(timeoutMs: number): void {
    if (this.over || !this.socket || this.pingTimer) return;
    this.pingTimer = setTimeout(() => {
      this.fail(GrpcCode.UNAVAILABLE, `keepalive ping not answered within ${timeoutMs} ms`);
    }, timeoutMs);
    this.pingTimer.unref();
    this.send(encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8)));
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

  /** The call cannot go on: it ends with this error and its connection is dropped. */
  private fail(code: number, message: string): void {
    this.setFailure(code, message);
    this.close(true);
  }

  /** A protocol error on this side within the call: the stream is reset and the call ends with it. */
  private abort(code: number, message: string): void {
    this.setFailure(code, message);
    this.send(rstStreamFrame(STREAM, H2Error.CANCEL));
    this.close(false);
  }

  /** The peer broke HTTP/2: GOAWAY with `code`, and the call ends UNAVAILABLE. */
  private connectionError(code: number, message: string): void {
    this.setFailure(GrpcCode.UNAVAILABLE, `HTTP/2 protocol error from the server: ${message}`);
    this.send(goawayFrame(0, code));
    this.close(true);
  }

  /** Ends the call and its connection: gracefully (GOAWAY, then the socket's end) or at once. */
  private close(destroy: boolean): void {
    if (this.over) return;
    const socket = this.socket;
    this.finish();
    if (!socket) return;
    if (destroy) {
      socket.destroy();
      return;
    }
    if (!socket.destroyed) {
      // The server ended the stream, or this side reset it: tell it this side is done too, then close.
      if (this.remoteEnded && !this.endSent && this.rstCode === undefined)
        socket.write(rstStreamFrame(STREAM, H2Error.NO_ERROR));
      socket.end(goawayFrame(0, H2Error.NO_ERROR));
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    clearInterval(this.keepalive);
    clearTimeout(this.pingTimer);
    this.pending = [];
    this.queue = [];
    this.early = [];
    let err: PhoenixError | undefined;
    if (!this.cancelled) {
      const s = this.status;
      if (this.failure && (!s || s.code === GrpcCode.OK)) err = this.failure;
      else if (s && s.code !== GrpcCode.OK) err = errorFromWire(s.code, s.message, s.errorInfo);
      else if (!s) err = this.noStatus();
    }
    if (!this.cancelled) {
      if (!err) this.emit("end");
      // An "error" nobody listens to would be thrown from the socket's callback.
      else if (this.listenerCount("error") > 0) this.emit("error", err);
    }
    this.emit("close");
  }

  private noStatus(): PhoenixError {
    if (this.rstCode === H2Error.REFUSED_STREAM)
      return errorFromWire(GrpcCode.UNAVAILABLE, "the server refused the stream");
    if (this.rstCode === H2Error.CANCEL)
      return errorFromWire(GrpcCode.CANCELLED, "the server cancelled the call");
    if (this.rstCode !== undefined)
      return errorFromWire(GrpcCode.INTERNAL, `the server reset the stream (HTTP/2 error ${this.rstCode})`);
    return errorFromWire(GrpcCode.UNAVAILABLE, "the connection closed before the call ended");
  }
}
