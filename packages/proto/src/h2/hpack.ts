import { huffmanDecode } from "./huffman";

/** One header field as it travels: lower-case name, value. */
export type HeaderField = [name: string, value: string];

/** The static table of RFC 7541, Appendix A; index 1 is the first entry. */
const STATIC_TABLE: readonly HeaderField[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** What each dynamic table entry costs beyond its name and value (RFC 7541 4.1). */
const ENTRY_OVERHEAD = 32;

/** A header block that breaks HPACK: a COMPRESSION_ERROR of the connection. */
export class HpackError extends Error {}

/**
 * Decodes HPACK header blocks of one direction of one connection, keeping its dynamic table. Blocks
 * must be given in the order they arrived, every one of them, since each may change the table.
 */
export class HpackDecoder {
  /** Newest entry first. */
  private readonly table: HeaderField[] = [];
  private size = 0;
  private limit: number;

  /** @param maxTableSize the SETTINGS_HEADER_TABLE_SIZE this side announced (4096 unless changed). */
  constructor(private readonly maxTableSize = 4096) {
    this.limit = maxTableSize;
  }

  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    const r = { at: 0 };
    while (r.at < block.length) {
      const first = block[r.at]!;
      if (first & 0x80) {
        fields.push(this.entry(readInt(block, r, 7)));
      } else if (first & 0x40) {
        const field = this.literal(block, r, 6);
        this.insert(field);
        fields.push(field);
      } else if (first & 0x20) {
        if (fields.length > 0) throw new HpackError("dynamic table size update after a header field");
        const size = readInt(block, r, 5);
        if (size > this.maxTableSize) {
          throw new HpackError(`dynamic table size ${size} over the ${this.maxTableSize} allowed`);
        }
        this.limit = size;
        this.evict(0);
      } else {
        // Without indexing (0000) or never indexed (0001): the same to a decoder.
        fields.push(this.literal(block, r, 4));
      }
    }
    return fields;
  }

  private literal(block: Uint8Array, r: { at: number }, prefix: number): HeaderField {
    const index = readInt(block, r, prefix);
    const name = index === 0 ? readString(block, r) : this.entry(index)[0];
    return [name, readString(block, r)];
  }

  private entry(index: number): HeaderField {
    if (index === 0) throw new HpackError("header index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const field = this.table[index - STATIC_TABLE.length - 1];
    if (!field) throw new HpackError(`header index ${index} is not in the table`);
    return field;
  }

  private insert(field: HeaderField): void {
    const cost = field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.evict(cost);
    // An entry larger than the table empties it and is not kept (RFC 7541 4.4).
    if (cost > this.limit) return;
    this.table.unshift(field);
    this.size += cost;
  }

  /** Drops the oldest entries until `room` more fits under the limit. */
  private evict(room: number): void {
    while (this.size + room > this.limit && this.table.length > 0) {
      const old = this.table.pop()!;
      this.size -= old[0].length + old[1].length + ENTRY_OVERHEAD;
    }
  }
}

/** Reads an integer with an N-bit prefix (RFC 7541 5.1). */
function readInt(block: Uint8Array, r: { at: number }, prefix: number): number {
  const max = (1 << prefix) - 1;
  let value = block[r.at++]! & max;
  if (value < max) return value;
  let shift = 0;
  for (;;) {
    if (r.at >= block.length) throw new HpackError("header block ends inside an integer");
    const byte = block[r.at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (value > 0x7fffffff) throw new HpackError("integer too large in a header block");
    if ((byte & 0x80) === 0) return value;
  }
}

/** Reads a string literal (RFC 7541 5.2); bytes become one character each (latin1), as HTTP field values. */
function readString(block: Uint8Array, r: { at: number }): string {
  if (r.at >= block.length) throw new HpackError("header block ends before a string");
  const huffman = (block[r.at]! & 0x80) !== 0;
  const len = readInt(block, r, 7);
  if (r.at + len > block.length) throw new HpackError("header block ends inside a string");
  let bytes = block.subarray(r.at, r.at + len);
  r.at += len;
  if (huffman) {
    try {
      bytes = huffmanDecode(bytes);
    } catch (err) {
      throw new HpackError((err as Error).message);
    }
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

/**
 * Encodes header fields as literals without indexing and without Huffman coding: the smallest
 * encoder that every decoder reads, and one that never changes the peer's dynamic table.
 */
export function encodeHeaders(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, "latin1");
    const v = Buffer.from(value, "latin1");
    parts.push(Buffer.of(0), encodeInt(n.length, 7, 0), n, encodeInt(v.length, 7, 0), v);
  }
  return Buffer.concat(parts);
}

/** An integer with an N-bit prefix, the prefix's other bits set from `flags`. */
function encodeInt(value: number, prefix: number, flags: number): Buffer {
  const max = (1 << prefix) - 1;
  if (value < max) return Buffer.of(flags | value);
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}
