import { connect } from "node:http2";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_PREFACE, encodeFrame, Flag, FrameReader, FrameType, settingsFrame } from "./frames";
import { encodeHeaders, type HeaderField, HpackDecoder, HpackError } from "./hpack";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replaceAll(" ", ""), "hex"));

describe("HpackDecoder", () => {
  // RFC 7541 C.3 (plain strings) and C.4 (Huffman): three requests on one connection; the second and
  // third refer to entries the earlier ones added to the dynamic table.
  const requests: HeaderField[][] = [
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ],
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ],
    [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ],
  ];
  it.each([
    [
      "C.3, plain strings",
      [
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
      ],
    ],
    [
      "C.4, Huffman strings",
      [
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
      ],
    ],
  ])("decodes the requests of RFC 7541 %s", (_what, blocks) => {
    const d = new HpackDecoder();
    blocks.forEach((block, i) => {
      expect(d.decode(hex(block))).toEqual(requests[i]);
    });
  });

  it("evicts the oldest entries when the table is full", () => {
    const d = new HpackDecoder(64);
    // Two entries of 32 + 2 bytes each do not fit in 64: the first is evicted by the second.
    // A literal with incremental indexing and a new one-letter name: 0x40, then name and value.
    const indexed = (name: string, value: string) =>
      Buffer.concat([
        Buffer.of(0x40, name.length),
        Buffer.from(name),
        Buffer.of(value.length),
        Buffer.from(value),
      ]);
    d.decode(indexed("a", "1"));
    d.decode(indexed("b", "2"));
    expect(d.decode(Uint8Array.of(0x80 | 62))).toEqual([["b", "2"]]);
    expect(() => d.decode(Uint8Array.of(0x80 | 63))).toThrow(/index 63 is not in the table/);
  });

  it("follows a table size update to zero, which empties the table", () => {
    const d = new HpackDecoder();
    d.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
    expect(d.decode(Uint8Array.of(0x20, 0x82))).toEqual([[":method", "GET"]]);
    expect(() => d.decode(Uint8Array.of(0x80 | 62))).toThrow(HpackError);
  });

  it.each([
    ["index 0", "80", /index 0/],
    ["an index past both tables", "ff00", /not in the table/],
    ["a string longer than the block", "400a 6375", /ends inside a string/],
    ["an integer that never ends", "ffff", /ends inside an integer/],
    ["a table size over the announced one", "3fe2 1f", /over the 4096 allowed/],
    ["a size update after a field", "8220", /after a header field/],
    ["bad Huffman padding", "4082 0000 00", /padding/],
  ])("refuses %s", (_what, block, message) => {
    expect(() => new HpackDecoder().decode(hex(block))).toThrow(message);
  });

  it("reads what encodeHeaders writes, long values included", () => {
    const fields: HeaderField[] = [
      [":path", "/phoenix.agent.v1.AgentService/Session"],
      ["user-agent", "x".repeat(300)],
      ["empty", ""],
    ];
    expect(new HpackDecoder().decode(encodeHeaders(fields))).toEqual(fields);
  });
});

describe("HpackDecoder against nghttp2 (node:http2's encoder)", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("decodes the header blocks of real requests: Huffman strings of every byte and dynamic table reuse", async () => {
    const blocks: Buffer[] = [];
    server = createServer((socket) => {
      let preface = true;
      const reader = new FrameReader();
      socket.write(settingsFrame([]));
      socket.on("data", (chunk: Buffer) => {
        if (preface) {
          expect(chunk.subarray(0, CLIENT_PREFACE.length)).toEqual(CLIENT_PREFACE);
          chunk = chunk.subarray(CLIENT_PREFACE.length);
          preface = false;
        }
        for (const f of reader.push(chunk)) {
          if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK)) {
            socket.write(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
          }
          if (f.type === FrameType.HEADERS) {
            expect(f.flags & Flag.END_HEADERS).toBeTruthy();
            blocks.push(Buffer.from(f.payload));
          }
        }
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };

    // Mostly short codes around one byte each, so that nghttp2 chooses Huffman for every value.
    const sent: Record<string, string> = {};
    for (let b = 0x20; b <= 0xff; b++) {
      if (b === 0x7f) continue;
      sent[`x-${b}`] = `${"e".repeat(24)}${String.fromCharCode(b)}e`;
    }
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    const small = { ":path": "/small", "x-small": "a value to index" };
    for (const headers of [{ ":path": "/all", ...sent }, small, small]) {
      session.request(headers).on("error", () => {});
    }
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (blocks.length < 3) return;
        clearInterval(t);
        resolve();
      }, 10);
      setTimeout(() => reject(new Error(`only ${blocks.length} header blocks arrived`)), 5000).unref();
    });
    session.destroy();

    const d = new HpackDecoder();
    const [all, first, again] = blocks.map((b) => Object.fromEntries(d.decode(b)));
    expect(all![":path"]).toBe("/all");
    for (const [name, value] of Object.entries(sent)) expect(all![name], name).toBe(value);
    expect(first).toMatchObject(small);
    expect(again).toMatchObject(small);
    // nghttp2 coded the values with Huffman, and the repeated request points at the dynamic table.
    expect(blocks[0]!.length).toBeLessThan(
      Object.entries(sent).reduce((n, [k, v]) => n + k.length + v.length, 0),
    );
    expect(blocks[2]!.length).toBeLessThan(blocks[1]!.length / 2);
  });
});
