import type { IncomingHttpHeaders } from "node:http2";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { MessageCodec, WireMethod } from "./codec";
import { errorFromWire, GrpcCode } from "./error-info";
import {
  encodeFrame as encodeMessage,
  FRAME_HEADER_BYTES,
  readWireStatus,
  responseProblem,
  type WireStatus,
} from "./grpc-wire";
import type { H2Connection, H2Stream } from "./h2/connection";
import { H2Error } from "./h2/frames";
import type { HeaderField } from "./h2/hpack";

/** Options of one GrpcCall. */
export interface GrpcCallOptions {
  /** Largest message sent or received (default 16 MiB, as the grpc-js channels). */
  maxMessageBytes?: number;
  /** Sent as user-agent (default "phoenix"). */
  userAgent?: string;
  /** Request headers after the call's own: checked already (see metadataFields). */
  metadata?: readonly HeaderField[];
}

/** What a GrpcCall tells its owner. */
export interface GrpcCallEvents {
  onMessage(msg: unknown): void;
  /** Everything written has gone out, after a write() that returned false. */
  onDrain?(): void;
  /** The call is over, called once: undefined after an OK status or cancel(), else the call's error. */
  onClose(err: PhoenixError | undefined): void;
}

/**
 * One gRPC call on a stream of an H2Connection, in the gRPC wire format: length-prefixed protobuf
 * messages, `grpc-status`/`grpc-message` trailers (or a trailers-only response), Phoenix's
 * `phoenix-error-bin` ErrorInfo. A non-OK status wins over what went wrong on this side, and that over
 * a missing status.
 */
export class GrpcCall {
  /** The call's HTTP/2 stream: pause() and resume() it to stop and restart the server's sending. */
  readonly stream: H2Stream;
  private readonly input: MessageCodec<unknown, unknown>;
  private readonly output: MessageCodec<unknown, unknown>;
  private readonly maxBytes: number;
  private gotHeaders = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Length of the message being read, once its prefix is in; -1 while waiting for a prefix. */
  private frameLen = -1;
  private status?: WireStatus;
  /** The first thing that went wrong on this side or on the connection. */
  private failure?: PhoenixError;
  private cancelled = false;
  private halfClosed = false;
  private over = false;

  constructor(
    conn: H2Connection,
    method: WireMethod,
    opts: GrpcCallOptions,
    private readonly events: GrpcCallEvents,
  ) {
    this.input = method.input;
    this.output = method.output;
    this.maxBytes = opts.maxMessageBytes ?? 16 * 1024 * 1024;
    const request: HeaderField[] = [
      [":method", "POST"],
      [":scheme", conn.scheme],
      [":path", method.path],
      [":authority", conn.authority],
      ["content-type", "application/grpc+proto"],
      ["te", "trailers"],
      ["user-agent", opts.userAgent ?? "phoenix"],
      ["grpc-accept-encoding", "identity"],
      ...(opts.metadata ?? []),
    ];
    this.stream = conn.request(request, {
      onHeaders: (h) => this.onHeaders(h),
      onData: (chunk) => this.onChunk(chunk),
      onDrain: () => this.events.onDrain?.(),
      onClose: (rstCode, error) => this.finish(rstCode, error),
    });
  }

  /** Sends a message; false when the writer should wait for onDrain. Throws once the call is over. */
  write(msg: unknown): boolean {
    if (this.over || this.halfClosed) {
      throw new PhoenixError(ErrorCode.CANCELLED, "write on a gRPC call that is over");
    }
    const body = this.input.encode(msg);
    if (body.length > this.maxBytes) {
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `message larger than max (${body.length} vs. ${this.maxBytes} bytes)`,
      );
    }
    return this.stream.write(encodeMessage(body));
  }

  /** Half-closes: no more messages from this side; responses still arrive. */
  end(): void {
    if (this.over || this.halfClosed) return;
    this.halfClosed = true;
    this.stream.end();
  }

  /** Ends the call now (RST_STREAM CANCEL); onClose gets no error. */
  cancel(): void {
    if (this.over) return;
    this.cancelled = true;
    this.stream.reset(H2Error.CANCEL);
  }

  /** Ends the call from this side with this error (RST_STREAM CANCEL), unless it has one already. */
  abort(code: number, message: string): void {
    this.setFailure(code, message);
    this.stream.reset(H2Error.CANCEL);
  }

  private setFailure(code: number, message: string): void {
    if (this.over || this.cancelled || this.failure) return;
    this.failure = errorFromWire(code, message);
  }

  private onHeaders(headers: IncomingHttpHeaders): void {
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      const problem = responseProblem(headers, "the server answered ");
      if (problem) this.setFailure(problem.code, problem.message);
      // A trailers-only response carries the status in its one header block.
      if (headers["grpc-status"] === undefined) return;
    }
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
        msg = this.output.decode(body);
      } catch (err) {
        this.abort(GrpcCode.INTERNAL, (err as Error).message);
        return;
      }
      this.events.onMessage(msg);
      if (this.over) return;
    }
  }

  /** The next `n` buffered bytes (n <= pendingBytes), copying only when they span chunks. */
  private take(n: number): Buffer {
    // An empty message (every field at its default) has no bytes, and may come when none are left.
    if (n === 0) return Buffer.alloc(0);
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

  private finish(rstCode: number | undefined, connectionError: string | undefined): void {
    if (this.over) return;
    if (connectionError !== undefined) this.setFailure(GrpcCode.UNAVAILABLE, connectionError);
    this.over = true;
    this.pending = [];
    let err: PhoenixError | undefined;
    if (!this.cancelled) {
      const s = this.status;
      if (this.failure && (!s || s.code === GrpcCode.OK)) err = this.failure;
      else if (s && s.code !== GrpcCode.OK) err = errorFromWire(s.code, s.message, s.errorInfo);
      else if (!s) err = noStatus(rstCode);
    }
    this.events.onClose(err);
  }
}

/** Why a call that got no status ended. */
function noStatus(rstCode: number | undefined): PhoenixError {
  if (rstCode === H2Error.REFUSED_STREAM)
    return errorFromWire(GrpcCode.UNAVAILABLE, "the server refused the stream");
  if (rstCode === H2Error.CANCEL) return errorFromWire(GrpcCode.CANCELLED, "the server cancelled the call");
  if (rstCode !== undefined)
    return errorFromWire(GrpcCode.INTERNAL, `the server reset the stream (HTTP/2 error ${rstCode})`);
  return errorFromWire(GrpcCode.UNAVAILABLE, "the connection closed before the call ended");
}
