/**
 * The Huffman code of HPACK (RFC 7541, Appendix B), held as the code length of each symbol (0-255,
 * then EOS = 256). The code is canonical: codes are assigned in order of length, then of symbol, so
 * the lengths alone define it; huffman.test.ts checks them against codes printed in the RFC.
 */
// biome-ignore format: one row per 32 symbols reads best as the RFC's table
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;
const MAX_LENGTH = 30;

interface Canonical {
  /** Symbols ordered by (length, symbol). */
  symbols: Uint16Array;
  /** For each length: the first code of that length, the index of its first symbol, and how many there are. */
  firstCode: Int32Array;
  firstIndex: Int32Array;
  count: Int32Array;
}

let canonical: Canonical | undefined;

function build(): Canonical {
  const count = new Int32Array(MAX_LENGTH + 1);
  for (const len of CODE_LENGTHS) count[len]!++;
  const firstCode = new Int32Array(MAX_LENGTH + 1);
  const firstIndex = new Int32Array(MAX_LENGTH + 1);
  let code = 0;
  let index = 0;
  for (let len = 1; len <= MAX_LENGTH; len++) {
    code = (code + count[len - 1]!) << 1;
    firstCode[len] = code;
    firstIndex[len] = index;
    index += count[len]!;
  }
  const symbols = new Uint16Array(CODE_LENGTHS.length);
  const next = firstIndex.slice();
  // Symbols of one length get consecutive codes in symbol order.
  for (let sym = 0; sym < CODE_LENGTHS.length; sym++) symbols[next[CODE_LENGTHS[sym]!]!++] = sym;
  return { symbols, firstCode, firstIndex, count };
}

function tables(): Canonical {
  canonical ??= build();
  return canonical;
}

/** The code of `symbol` (0-256) and its length in bits. */
export function huffmanCode(symbol: number): { code: number; bits: number } {
  const c = tables();
  const bits = CODE_LENGTHS[symbol]!;
  const rank = c.symbols.subarray(c.firstIndex[bits]!, c.firstIndex[bits]! + c.count[bits]!).indexOf(symbol);
  return { code: c.firstCode[bits]! + rank, bits };
}

/**
 * Decodes a Huffman-coded HPACK string. Throws on the EOS symbol inside the string and on padding that
 * is longer than 7 bits or not the most significant bits of EOS (all ones), as RFC 7541 5.2 requires.
 */
export function huffmanDecode(bytes: Uint8Array): Uint8Array {
  const c = tables();
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 5));
  let n = 0;
  let code = 0;
  let len = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const offset = code - c.firstCode[len]!;
      if (offset >= 0 && offset < c.count[len]!) {
        const sym = c.symbols[c.firstIndex[len]! + offset]!;
        if (sym === EOS) throw new Error("Huffman string holds EOS");
        out[n++] = sym;
        code = 0;
        len = 0;
      } else if (len >= MAX_LENGTH) {
        throw new Error("Huffman string holds an invalid code");
      }
    }
  }
  if (len > 7 || code !== (1 << len) - 1) throw new Error("Huffman string has invalid padding");
  return out.subarray(0, n);
}
