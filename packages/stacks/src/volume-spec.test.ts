import { describe, expect, it } from "vitest";
import { parseShortVolume } from "./volume-spec";

describe("parseShortVolume", () => {
  it.each([
    ["/var/lib/mysql", { type: "volume", target: "/var/lib/mysql" }],
    ["/t", { type: "volume", target: "/t" }],
    ["data:/data", { type: "volume", source: "data", target: "/data" }],
    ["/opt/data:/var/lib/mysql", { type: "bind", source: "/opt/data", target: "/var/lib/mysql" }],
    [
      "./cache:/cache:rw,rshared",
      {
        type: "bind",
        source: "./cache",
        target: "/cache",
        readOnly: false,
        bind: { propagation: "rshared" },
      },
    ],
    [
      "~/configs:/etc/configs/:ro",
      { type: "bind", source: "~/configs", target: "/etc/configs/", readOnly: true },
    ],
    ["data:/data:nocopy", { type: "volume", source: "data", target: "/data", volume: { nocopy: true } }],
    ["c:\\data:/data", { type: "bind", source: "c:\\data", target: "/data" }],
    ["./x:/x:z,unknown", { type: "bind", source: "./x", target: "/x" }],
  ])("%s", (spec, volume) => {
    expect(parseShortVolume(spec)).toEqual(volume);
  });

  it.each([
    ["", "invalid empty volume spec"],
    ["ab::c", "empty section between colons"],
    ["ab:/b:ro:x", "too many colons"],
  ])("rejects %j", (spec, message) => {
    expect(() => parseShortVolume(spec)).toThrow(message);
  });
});
