import { describe, expect, it } from "vitest";
import { parseSubnet, subnetsOverlap } from "./subnet";

describe("parseSubnet", () => {
  it.each([
    ["10.42.0.0/20", { address: 0x0a2a0000, prefix: 20 }],
    ["192.168.100.0/24", { address: 0xc0a86400, prefix: 24 }],
    ["10.0.0.0/8", { address: 0x0a000000, prefix: 8 }],
    ["10.42.0.1/20", { problem: "10.42.0.1/20 is not a network address: did you mean 10.42.0.0/20?" }],
    ["10.42.16.0/19", { problem: "10.42.16.0/19 is not a network address: did you mean 10.42.0.0/19?" }],
    ["10.42.0.0/30", { problem: "10.42.0.0/30: the prefix must be /8 to /28" }],
    ["10.0.0.0/4", { problem: "10.0.0.0/4: the prefix must be /8 to /28" }],
    ["10.300.0.0/16", { problem: "10.300.0.0/16: each part of the address is 0 to 255" }],
    ["10.42.0.0", { problem: '"10.42.0.0" is not an IPv4 subnet like 10.42.0.0/20' }],
    ["fd00::/64", { problem: '"fd00::/64" is not an IPv4 subnet like 10.42.0.0/20' }],
  ])("%s", (text, want) => {
    expect(parseSubnet(text)).toEqual(want);
  });
});

describe("subnetsOverlap", () => {
  const s = (text: string) => parseSubnet(text) as { address: number; prefix: number };
  it.each([
    ["10.42.0.0/20", "10.42.15.0/24", true],
    ["10.42.0.0/20", "10.42.16.0/20", false],
    ["10.0.0.0/8", "10.200.0.0/16", true],
    ["10.42.0.0/24", "10.43.0.0/24", false],
  ])("%s and %s: %s", (a, b, want) => {
    expect(subnetsOverlap(s(a), s(b))).toBe(want);
    expect(subnetsOverlap(s(b), s(a))).toBe(want);
  });
});
