import { EventEmitter } from "node:events";
import type { PhoenixError } from "@phoenix/errors";
import type { WireMethod } from "./codec";
import { GrpcCall } from "./grpc-call";
import { H2Connection } from "./h2/connection";
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
 * (HPACK, flow control, pings) over node:net, or node:tls when TLS is asked for, with this call its
 * connection's one stream: an agent keeps its one long-lived stream with none of grpc-js's channel
 * machinery and without node:http2, whose JavaScript and nghttp2 state would stay resident in every guest.
 */
export function openBidiStream<In, Out, InInit>(
  method: WireMethod<In, Out, InInit, "bidi_streaming">,
  address: string,
  opts: BidiStreamOptions = {},
): BidiStream<InInit, Out> {
  return new H2BidiStream(method, address, opts) as BidiStream<InInit, Out>;
}

class H2BidiStream extends EventEmitter {
  private readonly conn: H2Connection;
  private readonly call: GrpcCall;
  private cancelled = false;

  constructor(method: WireMethod, address: string, opts: BidiStreamOptions) {
    super();
    this.conn = new H2Connection(address, opts);
    this.conn.onConnect = () => this.emit("connect");
    this.call = new GrpcCall(this.conn, method, opts, {
      onMessage: (msg) => this.emit("data", msg),
      onDrain: () => this.emit("drain"),
      onClose: (err) => {
        if (!this.cancelled) {
          if (!err) this.emit("end");
          // An "error" nobody listens to would be thrown from the socket's callback.
          else if (this.listenerCount("error") > 0) this.emit("error", err);
        }
        this.emit("close");
        // The connection was this call's alone.
        this.conn.close();
      },
    });
  }

  write(msg: unknown): boolean {
    return this.call.write(msg);
  }

  end(): void {
    this.call.end();
  }

  cancel(): void {
    this.cancelled = true;
    this.call.cancel();
  }
}
