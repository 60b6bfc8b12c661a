import type { JsonValue, MessageInitShape } from "@bufbuild/protobuf";
import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import type { Duration, DurationSchema, Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type MessageCodec, messageCodec, overrun, wrongWireType } from "./codec";

// The two well-known types the protocol uses, for the generated codecs (./gen/**/*_codec.ts): both are
// { int64 seconds = 1; int32 nanos = 2; }.

type Seconds = { seconds?: bigint | number | string; nanos?: number };

function writeSecondsNanos(w: BinaryWriter, m: Seconds): BinaryWriter {
  if (m.seconds !== undefined && BigInt(m.seconds) !== 0n) w.uint32(8).int64(m.seconds);
  if (m.nanos) w.uint32(16).int32(m.nanos);
  return w;
}

function readSecondsNanos<T extends { seconds: bigint; nanos: number; $typeName: string }>(
  r: BinaryReader,
  len: number,
  m: T,
): T {
  const end = r.pos + len;
  while (r.pos < end) {
    const [no, t] = r.tag();
    if (no === 1) {
      if (t !== 0) wrongWireType(m.$typeName, 1, t);
      m.seconds = r.int64() as bigint;
    } else if (no === 2) {
      if (t !== 0) wrongWireType(m.$typeName, 2, t);
      m.nanos = r.int32();
    } else r.skip(t, no);
  }
  if (r.pos !== end) overrun(m.$typeName);
  return m;
}

/** Nine digits of nanoseconds, cut to 3 or 6 when the rest are zeros, as proto3 JSON writes them. */
function fraction(nanos: number): string {
  const digits = String(nanos).padStart(9, "0");
  if (digits.endsWith("000000")) return digits.slice(0, 3);
  if (digits.endsWith("000")) return digits.slice(0, 6);
  return digits;
}

/** RFC 3339 in UTC, "2026-12-05T15:04:05.250Z", from 0001-01-01 to 9999-12-31 as proto3 JSON allows. */
export function jsonTimestamp(t: Timestamp): JsonValue {
  const ms = Number(t.seconds) * 1000;
  if (ms < -62_135_596_800_000 || ms > 253_402_300_799_000) {
    throw new Error(
      `cannot encode ${t.$typeName} to JSON: must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z`,
    );
  }
  if (t.nanos < 0 || t.nanos > 999_999_999) {
    throw new Error(`cannot encode ${t.$typeName} to JSON: nanos must be from 0 to 999999999`);
  }
  return new Date(ms).toISOString().replace(".000Z", t.nanos > 0 ? `.${fraction(t.nanos)}Z` : "Z");
}

/** Seconds with an "s", "1.500s", as proto3 JSON writes a Duration. */
export function jsonDuration(d: Duration): JsonValue {
  const seconds = Number(d.seconds);
  if (Math.abs(seconds) > 315_576_000_000) {
    throw new Error(`cannot encode ${d.$typeName} to JSON: value out of range`);
  }
  if ((seconds > 0 && d.nanos < 0) || (seconds < 0 && d.nanos > 0)) {
    throw new Error(`cannot encode ${d.$typeName} to JSON: nanos sign must match seconds sign`);
  }
  if (d.nanos === 0) return `${d.seconds}s`;
  const sign = d.nanos < 0 && seconds === 0 ? "-" : "";
  return `${sign}${d.seconds}.${fraction(Math.abs(d.nanos))}s`;
}

// Conversions to and from Date and milliseconds, as protobuf-es's @bufbuild/protobuf/wkt has them, making
// the same messages without its descriptors.

/** The Timestamp of a Unix time in milliseconds. */
export function timestampFromMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return {
    $typeName: "google.protobuf.Timestamp",
    seconds: BigInt(seconds),
    nanos: (ms - seconds * 1000) * 1_000_000,
  };
}

/** The Timestamp of a Date. */
export function timestampFromDate(date: Date): Timestamp {
  return timestampFromMs(date.getTime());
}

/** The Timestamp of now. */
export function timestampNow(): Timestamp {
  return timestampFromMs(Date.now());
}

/** A Timestamp as Unix milliseconds. */
export function timestampMs(t: Timestamp): number {
  return Number(t.seconds) * 1000 + Math.round(t.nanos / 1_000_000);
}

/** A Timestamp as a Date. */
export function timestampDate(t: Timestamp): Date {
  return new Date(timestampMs(t));
}

/** The Duration of a number of milliseconds. */
export function durationFromMs(ms: number): Duration {
  const sign = ms < 0 ? -1 : 1;
  const abs = Math.abs(ms);
  const seconds = Math.floor(abs / 1000);
  const nanos = (abs - seconds * 1000) * 1_000_000;
  // No signed zero: -0 nanos would not be written.
  return {
    $typeName: "google.protobuf.Duration",
    seconds: BigInt(seconds * sign),
    nanos: nanos === 0 ? 0 : nanos * sign,
  };
}

/** A Duration as milliseconds. */
export function durationMs(d: Duration): number {
  return Number(d.seconds) * 1000 + Math.round(d.nanos / 1_000_000);
}

export function zeroTimestamp(): Timestamp {
  return { $typeName: "google.protobuf.Timestamp", seconds: 0n, nanos: 0 };
}
export const writeTimestamp: (w: BinaryWriter, m: MessageInitShape<typeof TimestampSchema>) => BinaryWriter =
  writeSecondsNanos;
export const readTimestamp: (r: BinaryReader, len: number, m: Timestamp) => Timestamp = readSecondsNanos;
export const TimestampCodec: MessageCodec<
  Timestamp,
  MessageInitShape<typeof TimestampSchema>
> = /*@__PURE__*/ messageCodec(
  "google.protobuf.Timestamp",
  writeTimestamp,
  readTimestamp,
  zeroTimestamp,
  jsonTimestamp,
);

export function zeroDuration(): Duration {
  return { $typeName: "google.protobuf.Duration", seconds: 0n, nanos: 0 };
}
export const writeDuration: (w: BinaryWriter, m: MessageInitShape<typeof DurationSchema>) => BinaryWriter =
  writeSecondsNanos;
export const readDuration: (r: BinaryReader, len: number, m: Duration) => Duration = readSecondsNanos;
export const DurationCodec: MessageCodec<
  Duration,
  MessageInitShape<typeof DurationSchema>
> = /*@__PURE__*/ messageCodec(
  "google.protobuf.Duration",
  writeDuration,
  readDuration,
  zeroDuration,
  jsonDuration,
);
