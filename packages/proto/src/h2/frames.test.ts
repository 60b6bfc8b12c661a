import { describe, expect, it } from "vitest";
import {
  encodeFrame,
  Flag,
  FrameReader,
  FrameSizeError,
  FrameType,
  goawayFrame,
  unpad,
  windowUpdateFrame,
} from "./frames";

describe("FrameReader", () => {
  const frames = [
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("hello")),
    windowUpdateFrame(0, 1000),
    encodeFrame(FrameType.SETTINGS, Flag.ACK, 0),
    goawayFrame(1, 0),
  ];
  const wire = Buffer.concat(frames);

  it.each([1, 2, 7, 9, 10, 64])("reads frames split into chunks of %i bytes", (size) => {
    const r = new FrameReader();
    const got = [];
    for (let at = 0; at < wire.length; at += size) got.push(...r.push(wire.subarray(at, at + size)));
    expect(got.map((f) => [f.type, f.flags, f.streamId, f.payload.length])).toEqual([
      [FrameType.DATA, Flag.END_STREAM, 1, 5],
      [FrameType.WINDOW_UPDATE, 0, 0, 4],
      [FrameType.SETTINGS, Flag.ACK, 0, 0],
      [FrameType.GOAWAY, 0, 0, 8],
    ]);
    expect(got[0]!.payload.toString()).toBe("hello");
    expect(got[1]!.payload.readUInt32BE(0)).toBe(1000);
  });

  it("ignores the reserved bit of the stream id", () => {
    const f = encodeFrame(FrameType.DATA, 0, 3);
    f[5]! |= 0x80;
    expect(new FrameReader().push(f)[0]!.streamId).toBe(3);
  });

  it("refuses a frame over the size limit from its header alone", () => {
    const head = encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(20)).subarray(0, 9);
    expect(() => new FrameReader(16).push(head)).toThrow(FrameSizeError);
    expect(() => new FrameReader(16).push(head)).toThrow("frame of 20 bytes, over the 16 allowed");
  });
});

describe("unpad", () => {
  it.each([
    ["DATA without padding", FrameType.DATA, 0, "0102", "0102"],
    ["DATA with padding", FrameType.DATA, Flag.PADDED, "02 0102 0000", "0102"],
    ["HEADERS with priority", FrameType.HEADERS, Flag.PRIORITY, "0000000310 0102", "0102"],
    [
      "HEADERS with padding and priority",
      FrameType.HEADERS,
      Flag.PADDED | Flag.PRIORITY,
      "01 0000000310 0102 00",
      "0102",
    ],
  ])("%s", (_what, type, flags, payload, body) => {
    const f = { type, flags, streamId: 1, payload: Buffer.from(payload.replaceAll(" ", ""), "hex") };
    expect(unpad(f).toString("hex")).toBe(body);
  });

  it("refuses padding longer than the frame", () => {
    const f = { type: FrameType.DATA, flags: Flag.PADDED, streamId: 1, payload: Buffer.from("05 01", "hex") };
    expect(() => unpad(f)).toThrow(/padding longer/);
  });
});
