import { describe, expect, it } from "vitest";
import { huffmanCode, huffmanDecode } from "./huffman";

/** Codes as RFC 7541 Appendix B prints them (symbol: code), a sample across every code length. */
const RFC_CODES: Array<[symbol: number, code: number, bits: number]> = [
  [0, 0x1ff8, 13],
  [1, 0x7fffd8, 23],
  [2, 0xfffffe2, 28],
  [9, 0xffffea, 24],
  [10, 0x3ffffffc, 30],
  [13, 0x3ffffffd, 30],
  [22, 0x3ffffffe, 30],
  [31, 0xffffffb, 28],
  [32, 0x14, 6],
  [33, 0x3f8, 10],
  [39, 0x7fa, 11],
  [48, 0x0, 5],
  [58, 0x5c, 7],
  [60, 0x7ffc, 15],
  [88, 0xfc, 8],
  [92, 0x7fff0, 19],
  [94, 0x3ffc, 14],
  [96, 0x7ffd, 15],
  [97, 0x3, 5],
  [116, 0x9, 5],
  [122, 0x7b, 7],
  [126, 0x1ffd, 13],
  [127, 0xffffffc, 28],
  [128, 0xfffe6, 20],
  [129, 0x3fffd2, 22],
  [153, 0x1fffdc, 21],
  [162, 0xfffe9, 20],
  [171, 0xfffff0, 24],
  [192, 0x3ffffe0, 26],
  [195, 0x7fff1, 19],
  [199, 0x1ffffec, 25],
  [203, 0x7ffffde, 27],
  [220, 0xffffffd, 28],
  [241, 0x7ffffe6, 27],
  [249, 0xffffffe, 28],
  [254, 0x7fffff0, 27],
  [255, 0x3ffffee, 26],
  [256, 0x3fffffff, 30],
];

/** Huffman-codes bytes with the table under test (what a sender does), padding with ones. */
function encode(bytes: Uint8Array): Uint8Array {
  let acc = 0n;
  let bits = 0;
  for (const b of bytes) {
    const { code, bits: n } = huffmanCode(b);
    acc = (acc << BigInt(n)) | BigInt(code);
    bits += n;
  }
  const pad = (8 - (bits % 8)) % 8;
  acc = (acc << BigInt(pad)) | ((1n << BigInt(pad)) - 1n);
  const out = new Uint8Array((bits + pad) / 8);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(acc & 0xffn);
    acc >>= 8n;
  }
  return out;
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replaceAll(" ", ""), "hex"));
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");

describe("HPACK Huffman code", () => {
  it.each(RFC_CODES)("symbol %i has the RFC's code", (symbol, code, bits) => {
    expect(huffmanCode(symbol)).toEqual({ code, bits });
  });

  it.each([
    // RFC 7541 C.4 and C.6
    ["f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"],
    ["a8eb 1064 9cbf", "no-cache"],
    ["25a8 49e9 5ba9 7d7f", "custom-key"],
    ["25a8 49e9 5bb8 e8b4 bf", "custom-value"],
    ["6402", "302"],
    ["aec3 771a 4b", "private"],
  ])("decodes %s as %s", (coded, plain) => {
    expect(text(huffmanDecode(hex(coded)))).toBe(plain);
  });

  it("decodes every byte value back after encoding it", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(huffmanDecode(encode(all))).toEqual(all);
    for (let b = 0; b < 256; b++)
      expect(huffmanDecode(encode(Uint8Array.of(b, 0x61, b)))).toEqual(Uint8Array.of(b, 0x61, b));
  });

  it.each([
    ["padding of zeros", "00"],
    ["a string cut inside a code", "fe"],
    ["padding longer than 7 bits", "f1e3 c2e5 f23a 6ba0 ab90 f4ff ff"],
    ["EOS inside the string", "ffff ffff"],
  ])("refuses %s", (_what, coded) => {
    expect(() => huffmanDecode(hex(coded))).toThrow(/Huffman/);
  });
});
