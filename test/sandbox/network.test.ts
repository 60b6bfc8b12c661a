import { describe, expect, it } from "vitest";
import { formatAddress, freeSlots, parsePrefix, prefixesOverlap, slotNetwork, vethName } from "./network";

describe("sandbox addressing", () => {
  it.each([
    ["10.213.4.0/24", { base: 0x0ad50400, bits: 24 }],
    ["10.213.4.77/24", { base: 0x0ad50400, bits: 24 }],
    ["192.0.2.2", { base: 0xc0000202, bits: 32 }],
    ["0.0.0.0/0", { base: 0, bits: 0 }],
    ["10.0.0.0/8", { base: 0x0a000000, bits: 8 }],
  ])("parses %s", (text, prefix) => {
    expect(parsePrefix(text)).toEqual(prefix);
  });

  it.each(["default", "10.213.4.0/33", "300.1.1.1/24", "fe80::/64", ""])("refuses %j", (text) => {
    expect(parsePrefix(text)).toBeUndefined();
  });

  it.each([
    ["10.213.4.0/24", "10.213.4.0/24", true],
    ["10.213.4.0/24", "10.213.5.0/24", false],
    ["10.0.0.0/8", "10.213.4.0/24", true],
    ["10.213.4.200", "10.213.4.0/24", true],
    ["10.213.3.255", "10.213.4.0/24", false],
    ["192.0.2.0/24", "10.213.4.0/24", false],
  ])("%s overlaps %s: %s", (a, b, overlap) => {
    expect(prefixesOverlap(parsePrefix(a)!, parsePrefix(b)!)).toBe(overlap);
    expect(prefixesOverlap(parsePrefix(b)!, parsePrefix(a)!)).toBe(overlap);
  });

  it("skips slots that a host route or address overlaps, but not the default route", () => {
    const used = ["0.0.0.0/0", "10.213.0.0/23", "10.213.5.9", "192.0.2.0/24"].map((t) => parsePrefix(t)!);
    expect(freeSlots(used).slice(0, 5)).toEqual([2, 3, 4, 6, 7]);
    expect(freeSlots([parsePrefix("10.0.0.0/8")!])).toEqual([]);
  });

  it("names a slot's bridge, subnet, addresses and veths", () => {
    expect(slotNetwork(7)).toEqual({ subnet: "10.213.7.0/24", bridgeIp: "10.213.7.1", bridge: "phsb7" });
    expect(vethName(255, 253)).toBe("phsb255g253");
    expect(vethName(255, 253).length).toBeLessThanOrEqual(15);
    expect(formatAddress(0x0ad50702)).toBe("10.213.7.2");
  });
});
