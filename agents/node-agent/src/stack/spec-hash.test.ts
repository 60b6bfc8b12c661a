import { describe, expect, it } from "vitest";
import { canonicalJson, specHash } from "./spec-hash";

describe("canonicalJson", () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ a: { d: 1, c: [3, { f: 1, e: 2 }] } }, '{"a":{"c":[3,{"e":2,"f":1}],"d":1}}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    [[undefined, 1], "[null,1]"],
    ["text", '"text"'],
  ])("%j → %s", (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });
});

describe("specHash", () => {
  it("is the same for the same spec written in another key order", () => {
    expect(specHash({ Name: "a", Labels: { x: "1", y: "2" } })).toBe(
      specHash({ Labels: { y: "2", x: "1" }, Name: "a" }),
    );
  });
  it.each([
    [{ Name: "a" }, { Name: "b" }],
    [{ Args: ["a", "b"] }, { Args: ["b", "a"] }],
    [{ Replicas: 1 }, { Replicas: "1" }],
  ])("tells %j and %j apart", (a, b) => {
    expect(specHash(a)).not.toBe(specHash(b));
  });
  it("is 64 hex characters", () => {
    expect(specHash({})).toMatch(/^[0-9a-f]{64}$/);
  });
});
