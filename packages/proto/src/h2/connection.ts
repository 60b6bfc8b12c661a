import type { IncomingHttpHeaders } from "node:http2";
import { connect as netConnect, type Socket } from "node:net";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { ClientTls } from "../tls-files";
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
} from "./frames";
import { encodeHeaders, type HeaderField, HpackDecoder } from "./hpack";

/** Options of an H2Connection. */
export interface H2ConnectionOptions {
  /** TLS material; plaintext HTTP/2 when absent. */
  tls?: ClientTls;
  /** Interval of keepalive pings (default 10 s). */
  keepaliveMs?: number;
  /** A ping not answered in this time fails the connection (default 5 s). */
  keepaliveTimeoutMs?: number;
  /** A connection not up (TLS included) in this time fails; no limit when absent. */
  connectTimeoutMs?: number;
}

/** What a stream tells the one who opened it. */
export interface StreamHandler {
  /** A header block: the response's headers, then its trailers. In order with the data. */
  onHeaders(headers: IncomingHttpHeaders): void;
  /** Response bytes in order; none while the stream is paused. */
  onData(chunk: Buffer): void;
  /** Everything written has gone out, after a write() that returned false. */
  onDrain?(): void;
  /**
   * The stream is over, called once: ended both ways, reset by either side, refused by a GOAWAY, or
   * its connection ended. `rstCode`: the server reset it; `error`: why the connection could not carry it.
   */
  onClose(rstCode: number | undefined, error: string | undefined): void;
}

/** What the server did wrong, with the RFC 9113 error code the GOAWAY answers it with (else PROTOCOL_ERROR). */
class H2Violation extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Receive window of each stream and of the connection; a WINDOW_UPDATE goes out once half of it is used. */
const RECEIVE_WINDOW = 1024 * 1024;
/** Largest header block accepted (all HEADERS and CONTINUATION frames of one block). */
const MAX_HEADER_BLOCK = 256 * 1024;
/** Highest client stream id (2^31 - 1). */
const MAX_STREAM_ID = MAX_WINDOW;

/** Where to dial `host:port` or `[v6]:port`. */
function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  if (!m) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `"${address}" is not host:port`);
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

/**
 * The client side of one HTTP/2 connection (RFC 9113) over node:net, or node:tls loaded only when TLS
 * is asked for: streams 1, 3, 5 ... opened as SETTINGS_MAX_CONCURRENT_STREAMS allows (one until the
 * server's SETTINGS arrive), flow control both ways per stream and for the connection, HPACK, keepalive
 * pings, GOAWAY (a graceful one refuses only the streams above its last-stream-id), RST_STREAM per
 * stream. It speaks to gRPC servers: a stream whose response ends is over, the request too.
 */
export class H2Connection {
  /** Called once the connection (and TLS) is up. */
  onConnect?: () => void;
  readonly scheme: string;
  readonly authority: string;
  private socket?: Socket;
  /** Frames written before the socket exists (TLS is loaded first). */
  private early: Buffer[] = [];
  private readonly frames = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  private readonly hpack = new HpackDecoder();
  /** A header block still waiting for CONTINUATION frames. */
  private headerBlock?: { streamId: number; parts: Buffer[]; bytes: number; endStream: boolean };
  /** Open streams by id, in the order they opened. */
  private readonly streams = new Map<number, H2Stream>();
  /** Streams waiting for the server to allow one more. */
  private waiting: H2Stream[] = [];
  private nextId = 1;
  private gotSettings = false;
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  /** @internal What the server still lets this side send on the connection. */
  sendWindow = DEFAULT_WINDOW;
  /** @internal The send window each new stream starts with (the server's SETTINGS_INITIAL_WINDOW_SIZE). */
  peerInitialWindow = DEFAULT_WINDOW;
  /** @internal The largest frame the server accepts. */
  peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  /** @internal The socket asked the writer to wait for "drain". */
  socketFull = false;
  /** Received bytes not yet given back to the server with a connection WINDOW_UPDATE. */
  private unacked = 0;
  private readonly keepalive: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private connectTimer?: NodeJS.Timeout;
  /** The first thing that went wrong with the connection. */
  private failure?: string;
  /** A GOAWAY came: no new streams. */
  private goingAway = false;
  private over = false;

  constructor(address: string, opts: H2ConnectionOptions = {}) {
    const { host, port } = parseAddress(address);
    const tls = opts.tls;
    this.scheme = tls ? "https" : "http";
    this.authority = address;
    this.send(CLIENT_PREFACE);
    this.send(
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, RECEIVE_WINDOW],
        [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_BLOCK],
      ]),
    );
    this.send(windowUpdateFrame(0, RECEIVE_WINDOW - DEFAULT_WINDOW));

    if (tls) {
      // node:tls is loaded only by a process configured for TLS.
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
        (err: Error) => this.fail(err.message),
      );
    } else {
      this.attach(netConnect({ host, port }), "connect");
    }

    const keepaliveMs = opts.keepaliveMs ?? 10_000;
    const timeoutMs = opts.keepaliveTimeoutMs ?? 5_000;
    this.keepalive = setInterval(() => this.ping(timeoutMs), keepaliveMs);
    this.keepalive.unref();
    const connectMs = opts.connectTimeoutMs;
    if (connectMs !== undefined) {
      this.connectTimer = setTimeout(() => this.fail(`no answer within ${connectMs / 1000} s`), connectMs);
      this.connectTimer.unref();
    }
  }

  /** Whether a new stream may still be opened here (no GOAWAY, not closed or failed, stream ids left). */
  get usable(): boolean {
    return !this.over && !this.goingAway && this.nextId + 2 * this.waiting.length < MAX_STREAM_ID;
  }

  /**
   * Opens a stream with these request headers (pseudo-headers first); it waits while the server allows
   * no more streams. On a connection that is not usable the stream closes at once with the reason.
   */
  request(fields: readonly HeaderField[], handler: StreamHandler): H2Stream {
    const stream = new H2Stream(this, fields, handler);
    if (!this.usable) {
      queueMicrotask(() => stream.closed(undefined, this.failure ?? "the connection is closed"));
    } else {
      this.waiting.push(stream);
      this.startWaiting();
    }
    return stream;
  }

  /** Ends the connection gracefully: streams still open are reset (CANCEL), then GOAWAY and the socket's end. */
  close(): void {
    if (this.over) return;
    for (const s of this.streams.values()) this.send(rstStreamFrame(s.id, H2Error.CANCEL));
    const socket = this.socket;
    this.shutdown(this.failure ?? "the connection was closed");
    if (!socket || socket.destroyed) return;
    socket.end(goawayFrame(0, H2Error.NO_ERROR));
    // The server's own end is not waited for: a process may exit while it is on its way.
    socket.unref();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** @internal Writes one frame (or the preface), before the socket exists too. */
  send(buf: Buffer): void {
    if (!this.socket) this.early.push(buf);
    else if (!this.socket.destroyed) this.socketFull = !this.socket.write(buf);
  }

  /** @internal A stream is over: it leaves the tables, and one that waited may open in its place. */
  release(stream: H2Stream): void {
    this.streams.delete(stream.id);
    const at = this.waiting.indexOf(stream);
    if (at >= 0) this.waiting.splice(at, 1);
    if (this.over) return;
    this.startWaiting();
    if (this.goingAway && this.streams.size === 0) this.close();
  }

  private startWaiting(): void {
    const limit = this.gotSettings ? this.peerMaxStreams : 1;
    while (this.waiting.length > 0 && this.streams.size < limit && !this.over) {
      const stream = this.waiting.shift()!;
      const id = this.nextId;
      this.nextId += 2;
      this.streams.set(id, stream);
      const block = encodeHeaders(stream.fields);
      let at = 0;
      do {
        const n = Math.min(this.peerMaxFrame, block.length - at);
        const flags = at + n === block.length ? Flag.END_HEADERS : 0;
        this.send(
          encodeFrame(
            at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION,
            flags,
            id,
            block.subarray(at, at + n),
          ),
        );
        at += n;
      } while (at < block.length);
      stream.start(id, this.peerInitialWindow);
    }
  }

  private flushAll(): void {
    for (const s of [...this.streams.values()]) s.flush();
  }

  private attach(socket: Socket, ready: "connect" | "secureConnect"): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once(ready, () => {
      clearTimeout(this.connectTimer);
      const alpn = (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol;
      if (ready === "secureConnect" && alpn !== "h2" && alpn !== false && alpn !== undefined) {
        this.fail(`the server chose ${alpn} over TLS, not HTTP/2`);
        return;
      }
      this.onConnect?.();
    });
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("drain", () => {
      this.socketFull = false;
      this.flushAll();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      this.failure ??= err.message || String(err);
    });
    socket.on("close", () => this.shutdown());
    for (const b of this.early) this.socketFull = !socket.write(b);
    this.early = [];
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
        this.connectionError(
          err instanceof H2Violation ? err.code : H2Error.PROTOCOL_ERROR,
          (err as Error).message,
        );
      }
      if (this.over) return;
    }
  }

  private onFrame(f: Frame): void {
    const block = this.headerBlock;
    if (block && (f.type !== FrameType.CONTINUATION || f.streamId !== block.streamId)) {
      throw new Error("header block interrupted by another frame");
    }
    switch (f.type) {
      case FrameType.DATA: {
        // Flow control counts the whole frame, padding included, on a stream that is over too.
        this.unacked += f.payload.length;
        if (this.unacked >= RECEIVE_WINDOW / 2) {
          this.send(windowUpdateFrame(0, this.unacked));
          this.unacked = 0;
        }
        this.stream(f.streamId)?.onData(f);
        return;
      }
      case FrameType.HEADERS:
        this.headerBlock = {
          streamId: f.streamId,
          parts: [],
          bytes: 0,
          endStream: (f.flags & Flag.END_STREAM) !== 0,
        };
        this.onHeaderFragment(f, unpad(f));
        return;
      case FrameType.CONTINUATION:
        if (!block) throw new Error("CONTINUATION without HEADERS");
        this.onHeaderFragment(f, f.payload);
        return;
      case FrameType.SETTINGS:
        this.onSettings(f);
        return;
      case FrameType.PING:
        if (f.payload.length !== 8) throw new H2Violation(H2Error.FRAME_SIZE_ERROR, "PING of the wrong size");
        if (f.flags & Flag.ACK) {
          clearTimeout(this.pingTimer);
          this.pingTimer = undefined;
        } else {
          this.send(encodeFrame(FrameType.PING, Flag.ACK, 0, f.payload));
        }
        return;
      case FrameType.WINDOW_UPDATE: {
        const inc = f.payload.readUInt32BE(0) & MAX_WINDOW;
        if (f.streamId !== 0) {
          this.stream(f.streamId)?.onWindowUpdate(inc);
          return;
        }
        this.sendWindow += inc;
        if (this.sendWindow > MAX_WINDOW)
          throw new H2Violation(H2Error.FLOW_CONTROL_ERROR, "flow-control window overflow");
        this.flushAll();
        return;
      }
      case FrameType.RST_STREAM:
        this.stream(f.streamId)?.closed(f.payload.readUInt32BE(0), undefined);
        return;
      case FrameType.GOAWAY:
        this.onGoaway(f.payload.readUInt32BE(0) & MAX_WINDOW, f.payload.readUInt32BE(4));
        return;
      case FrameType.PUSH_PROMISE:
        throw new Error("PUSH_PROMISE although push is disabled");
      default:
        // PRIORITY and frame types this side does not know are ignored (RFC 9113 5.5).
        return;
    }
  }

  /** The open stream `id`; undefined for one that is over; a stream this side never opened is an error. */
  private stream(id: number): H2Stream | undefined {
    const s = this.streams.get(id);
    if (!s && (id % 2 === 0 || id >= this.nextId)) throw new Error(`frame on stream ${id}, never opened`);
    return s;
  }

  private onGoaway(lastStream: number, code: number): void {
    this.goingAway = true;
    if (code !== H2Error.NO_ERROR) {
      // The server gives up on the connection: every stream ends with that.
      this.failure ??= `the server ended the connection (HTTP/2 GOAWAY ${code})`;
      this.close();
      return;
    }
    // Streams above last-stream-id were not taken: they fail; the others may finish.
    const refused = [...this.waiting, ...[...this.streams.values()].filter((s) => s.id > lastStream)];
    for (const s of refused) s.cancel("the server is going away and did not take the call");
    if (this.streams.size === 0) this.close();
  }

  private onSettings(f: Frame): void {
    if (f.flags & Flag.ACK) return;
    if (f.payload.length % 6 !== 0)
      throw new H2Violation(H2Error.FRAME_SIZE_ERROR, "SETTINGS of the wrong size");
    for (let at = 0; at < f.payload.length; at += 6) {
      const id = f.payload.readUInt16BE(at);
      const value = f.payload.readUInt32BE(at + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW)
          throw new H2Violation(H2Error.FLOW_CONTROL_ERROR, "initial window size too large");
        for (const s of this.streams.values()) s.onInitialWindowChange(value - this.peerInitialWindow);
        this.peerInitialWindow = value;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 0xffffff) throw new Error("invalid max frame size");
        this.peerMaxFrame = value;
      } else if (id === Setting.MAX_CONCURRENT_STREAMS) {
        this.peerMaxStreams = value;
      }
    }
    this.send(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
    this.gotSettings = true;
    this.startWaiting();
    this.flushAll();
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
      // A block in one frame, the usual case, is decoded where it lies.
      fields = this.hpack.decode(
        block.parts.length === 1 ? block.parts[0]! : Buffer.concat(block.parts, block.bytes),
      );
    } catch (err) {
      this.connectionError(H2Error.COMPRESSION_ERROR, (err as Error).message);
      return;
    }
    const stream = this.stream(block.streamId);
    if (!stream) return;
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of fields) {
      const had = headers[name];
      headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    stream.onHeaders(headers, block.endStream);
  }

  private ping(timeoutMs: number): void {
    if (this.over || !this.socket || this.pingTimer) return;
    this.pingTimer = setTimeout(
      () => this.fail(`keepalive ping not answered within ${timeoutMs} ms`),
      timeoutMs,
    );
    this.pingTimer.unref();
    this.send(encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8)));
  }

  /** The server broke HTTP/2: GOAWAY with `code`, and the connection is dropped. */
  private connectionError(code: number, message: string): void {
    this.failure ??= `HTTP/2 protocol error from the server: ${message}`;
    this.send(goawayFrame(0, code));
    this.fail(message);
  }

  /** The connection cannot go on: it is dropped, and its streams end with the first failure. */
  private fail(message: string): void {
    this.failure ??= message;
    this.socket?.destroy();
    this.shutdown();
  }

  /** Every stream still here ends with `error` (by default the connection's failure, or none), and the timers stop. */
  private shutdown(error = this.failure): void {
    if (this.over) return;
    this.over = true;
    clearInterval(this.keepalive);
    clearTimeout(this.pingTimer);
    clearTimeout(this.connectTimer);
    this.early = [];
    for (const s of [...this.waiting, ...this.streams.values()]) s.closed(undefined, error);
  }
}

/**
 * One request/response exchange on an H2Connection. Writes wait for the server's flow-control windows;
 * a paused stream keeps what arrives and withholds its WINDOW_UPDATEs, so the server stops sending.
 */
export class H2Stream {
  /** The stream id; 0 while it waits to open. */
  id = 0;
  private queue: Buffer[] = [];
  private queueBytes = 0;
  private endQueued = false;
  private endSent = false;
  /** What the server still lets this side send on the stream. */
  private sendWindow = 0;
  private wantDrain = false;
  /** Delivered bytes not yet given back to the server with a WINDOW_UPDATE. */
  private consumed = 0;
  /** What the server may still send before a WINDOW_UPDATE. */
  private receiveWindow = RECEIVE_WINDOW;
  private paused = false;
  /** What arrived while paused: data, header blocks, in order. */
  private inbox: Array<Buffer | IncomingHttpHeaders> = [];
  private remoteEnded = false;
  private over = false;

  /** @internal Made by H2Connection.request. */
  constructor(
    private readonly conn: H2Connection,
    /** @internal */ readonly fields: readonly HeaderField[],
    private readonly handler: StreamHandler,
  ) {}

  /** Queues request bytes; false when the writer should wait for the handler's onDrain. */
  write(data: Buffer): boolean {
    if (this.over || this.endQueued) return false;
    this.queue.push(data);
    this.queueBytes += data.length;
    this.flush();
    const ok = this.queueBytes === 0 && !this.conn.socketFull;
    if (!ok) this.wantDrain = true;
    return ok;
  }

  /** Ends the request (END_STREAM once everything queued is out); the response still arrives. */
  end(): void {
    if (this.over || this.endQueued) return;
    this.endQueued = true;
    this.flush();
  }

  /** Ends the stream now with RST_STREAM `code`; onClose follows with neither an rstCode nor an error. */
  reset(code: number = H2Error.CANCEL): void {
    this.cancel(undefined, code);
  }

  /** Stops handing the response over; what the server sends is kept, and its window not given back. */
  pause(): void {
    this.paused = true;
  }

  /** Hands over what was kept, and gives the window back as it goes. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliver();
  }

  /** @internal The stream's id and send window, once its HEADERS are out. */
  start(id: number, window: number): void {
    this.id = id;
    this.sendWindow = window;
    this.flush();
  }

  /** @internal Sends what the windows allow, then END_STREAM once everything is out and end() was called. */
  flush(): void {
    if (this.over || this.id === 0) return;
    const conn = this.conn;
    while (this.queue.length > 0) {
      const room = Math.min(conn.sendWindow, this.sendWindow, conn.peerMaxFrame);
      if (room <= 0) return;
      const head = this.queue[0]!;
      const n = Math.min(room, head.length);
      const last = n === head.length && this.queue.length === 1 && this.endQueued;
      conn.send(encodeFrame(FrameType.DATA, last ? Flag.END_STREAM : 0, this.id, head.subarray(0, n)));
      if (last) this.endSent = true;
      conn.sendWindow -= n;
      this.sendWindow -= n;
      this.queueBytes -= n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (this.endQueued && !this.endSent) {
      this.endSent = true;
      conn.send(encodeFrame(FrameType.DATA, Flag.END_STREAM, this.id));
    }
    if (this.wantDrain && this.queueBytes === 0 && !conn.socketFull) {
      this.wantDrain = false;
      this.handler.onDrain?.();
    }
  }

  /**
   * @internal The server's WINDOW_UPDATE for this stream. One that takes the window past 2^31 - 1 ends
   * this stream alone, with RST_STREAM FLOW_CONTROL_ERROR (RFC 9113 6.9.1).
   */
  onWindowUpdate(increment: number): void {
    this.sendWindow += increment;
    if (this.sendWindow > MAX_WINDOW) {
      this.cancel(
        `the server overflowed the flow-control window of stream ${this.id}`,
        H2Error.FLOW_CONTROL_ERROR,
      );
      return;
    }
    this.flush();
  }

  /**
   * @internal A change of the server's initial window size, applied to this stream's window; an overflow
   * is a connection error (RFC 9113 6.9.2).
   */
  onInitialWindowChange(delta: number): void {
    this.sendWindow += delta;
    if (this.sendWindow > MAX_WINDOW) {
      throw new H2Violation(H2Error.FLOW_CONTROL_ERROR, "initial window size overflows a stream's window");
    }
    this.flush();
  }

  /** @internal A DATA frame of this stream. */
  onData(f: Frame): void {
    if (this.remoteEnded) return;
    this.receiveWindow -= f.payload.length;
    if (this.receiveWindow < 0) {
      throw new H2Violation(
        H2Error.FLOW_CONTROL_ERROR,
        `DATA past the flow-control window of stream ${this.id}`,
      );
    }
    const body = unpad(f);
    // Padding counts as consumed at once; the data when it is handed over.
    this.consumed += f.payload.length - body.length;
    this.inbox.push(body);
    if (f.flags & Flag.END_STREAM) this.remoteEnded = true;
    this.deliver();
  }

  /** @internal A complete header block of this stream. */
  onHeaders(headers: IncomingHttpHeaders, endStream: boolean): void {
    if (this.remoteEnded) return;
    this.inbox.push(headers);
    if (endStream) this.remoteEnded = true;
    this.deliver();
  }

  /** Hands over what arrived unless paused; the stream is over once the response ended and all is handed over. */
  private deliver(): void {
    while (!this.paused && !this.over && this.inbox.length > 0) {
      const item = this.inbox.shift()!;
      if (!Buffer.isBuffer(item)) {
        this.handler.onHeaders(item);
        continue;
      }
      this.consumed += item.length;
      if (this.consumed >= RECEIVE_WINDOW / 2 && !this.remoteEnded) {
        this.conn.send(windowUpdateFrame(this.id, this.consumed));
        this.receiveWindow += this.consumed;
        this.consumed = 0;
      }
      if (item.length > 0) this.handler.onData(item);
    }
    if (this.remoteEnded && this.inbox.length === 0 && !this.over) {
      // The response is complete: a request still going is of no use to the server any more.
      this.cancel(undefined, this.endSent ? undefined : H2Error.NO_ERROR);
    }
  }

  /** @internal Ends the stream from this side: RST_STREAM `code` if it is open, then onClose with `error`. */
  cancel(error: string | undefined, code: number | undefined = H2Error.CANCEL): void {
    if (this.over) return;
    if (this.id !== 0 && code !== undefined) this.conn.send(rstStreamFrame(this.id, code));
    this.closed(undefined, error);
  }

  /** @internal The stream is over. */
  closed(rstCode: number | undefined, error: string | undefined): void {
    if (this.over) return;
    this.over = true;
    this.queue = [];
    this.inbox = [];
    this.conn.release(this);
    this.handler.onClose(rstCode, error);
  }
}
