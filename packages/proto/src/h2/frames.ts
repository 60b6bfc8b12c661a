/** HTTP/2 frame types (RFC 9113 6). */
export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

/** Frame flags; each applies only to some frame types. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** SETTINGS parameters (RFC 9113 6.5.2). */
export const Setting = {
  HEADER_TABLE_SIZE: 1,
  ENABLE_PUSH: 2,
  MAX_CONCURRENT_STREAMS: 3,
  INITIAL_WINDOW_SIZE: 4,
  MAX_FRAME_SIZE: 5,
  MAX_HEADER_LIST_SIZE: 6,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 7). */
export const H2Error = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
} as const;

/** What a client sends first on every connection. */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** Bytes of a frame header. */
export const FRAME_HEADER = 9;
/** The largest frame payload every peer must accept, and the largest this side accepts. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** Flow-control window every stream and connection starts with. */
export const DEFAULT_WINDOW = 65_535;
/** Largest flow-control window (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;

/** One received frame; `payload` is a view into the received bytes. */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** Encodes one frame. */
export function encodeFrame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const len = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER + len);
  out.writeUIntBE(len, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & MAX_WINDOW, 5);
  if (payload) out.set(payload, FRAME_HEADER);
  return out;
}

/** A SETTINGS frame with these parameters. */
export function settingsFrame(params: ReadonlyArray<[id: number, value: number]>): Buffer {
  const payload = Buffer.allocUnsafe(params.length * 6);
  params.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

/** A WINDOW_UPDATE of `increment` bytes for a stream, or for the connection (stream 0). */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

/** A RST_STREAM of a stream, carrying an error code. */
export function rstStreamFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, payload);
}

/** A GOAWAY: the last stream this side processed, and an error code (NO_ERROR for a plain close). */
export function goawayFrame(lastStreamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

/** A frame larger than this side accepts: a FRAME_SIZE_ERROR of the connection. */
export class FrameSizeError extends Error {}

/**
 * Splits received bytes into frames, across chunk boundaries. Frames longer than `maxFrameSize` are
 * refused before their payload is buffered.
 */
export class FrameReader {
  /** The start of a frame whose end has not arrived yet. */
  private rest?: Buffer;

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** Adds received bytes and returns the frames now complete, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= FRAME_HEADER) {
      const len = buf.readUIntBE(at, 3);
      if (len > this.maxFrameSize) {
        throw new FrameSizeError(`frame of ${len} bytes, over the ${this.maxFrameSize} allowed`);
      }
      if (buf.length - at < FRAME_HEADER + len) break;
      frames.push({
        type: buf[at + 3]!,
        flags: buf[at + 4]!,
        streamId: buf.readUInt32BE(at + 5) & MAX_WINDOW,
        payload: buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len),
      });
      at += FRAME_HEADER + len;
    }
    this.rest = at < buf.length ? buf.subarray(at) : undefined;
    return frames;
  }
}

/** The payload of a DATA or HEADERS frame without its padding (and HEADERS' priority fields). */
export function unpad(frame: Frame): Buffer {
  let p = frame.payload;
  let padLength = 0;
  if (frame.flags & Flag.PADDED) {
    if (p.length < 1) throw new FrameSizeError("padded frame without a pad length");
    padLength = p[0]!;
    p = p.subarray(1);
  }
  if (frame.type === FrameType.HEADERS && frame.flags & Flag.PRIORITY) p = p.subarray(5);
  if (padLength > p.length) throw new FrameSizeError("padding longer than the frame");
  return p.subarray(0, p.length - padLength);
}
