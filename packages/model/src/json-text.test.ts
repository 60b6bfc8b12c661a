import { describe, expect, it } from "vitest";
import { parseJsonText } from "./json-text";

describe("parseJsonText", () => {
  it.each([
    ["{}"],
    ["[]"],
    ['{"a": [1, -2.5e3, 0, true, false, null, "x\\n\\u00e9\\"\\\\\\/"]}'],
    ['  "only a string"  '],
    ["-0"],
    ['{"a": {"b": {"c": [[[]]]}}}'],
    ['"\\ud83d\\ude00"'],
  ])("parses %s like JSON.parse", (text) => {
    const r = parseJsonText(text);
    expect(r.ok && r.doc.value).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"a": 1,}', "expected a double-quoted property name, found '}'", 1, 9],
    ['{\n  "a": 1\n  "b": 2\n}', "expected ',' or '}' after property value, found '\"'", 3, 3],
    ["[1, 2", "expected ',' or ']' after array element, found end of file", 1, 6],
    ["", "unexpected end of file, expected a value", 1, 1],
    ['{"a" 1}', "expected ':' after property name, found '1'", 1, 6],
    ["{'a': 1}", "expected a double-quoted property name, found '''", 1, 2],
    ["[01]", "invalid number", 1, 3],
    ["[1.]", "invalid number", 1, 3],
    ['"abc', "unterminated string", 1, 1],
    ['"a\tb"', "control character in string (escape it)", 1, 3],
    ['"\\x"', "invalid escape in string", 1, 2],
    ["{} {}", "unexpected '{' after the end of the document", 1, 4],
    ["[tru]", "unexpected 't'", 1, 2],
    ["\n\n   nul", "unexpected 'n'", 3, 4],
  ])("refuses %j: %s at %i:%i", (text, message, line, column) => {
    expect(parseJsonText(text)).toEqual({ ok: false, message, position: { line, column } });
  });

  it("never quotes the text in an error (it may hold a secret)", () => {
    const r = parseJsonText('{"token": "s3cr3t-value" "x": 1}');
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain("s3cr3t");
  });

  it("knows where every value stands", () => {
    const r = parseJsonText('{\n  "vms": [\n    {"vmid": 1001, "name": "a"}\n  ],\n  "x y": 1\n}');
    if (!r.ok) throw new Error(r.message);
    expect(r.doc.positionOf([])).toEqual({ line: 1, column: 1 });
    expect(r.doc.positionOf(["vms", 0, "name"])).toEqual({ line: 3, column: 28 });
    expect(r.doc.positionOf(["x y"])).toEqual({ line: 5, column: 10 });
    expect(r.doc.positionOf(["vms", 1])).toBeUndefined();
    expect(r.doc.positionOf(["vms", "0"])).toBeUndefined();
    expect(r.doc.positionOf(["vms", 0, "name", "deeper"])).toBeUndefined();
  });

  it("lists duplicate keys and keeps the last value", () => {
    const r = parseJsonText('{"a": 1,\n "a": 2}');
    if (!r.ok) throw new Error(r.message);
    expect(r.doc.value).toEqual({ a: 2 });
    expect(r.doc.duplicateKeys).toEqual([{ path: ["a"], position: { line: 2, column: 2 } }]);
  });

  it("keeps __proto__ an ordinary key", () => {
    const r = parseJsonText('{"__proto__": {"polluted": true}}');
    if (!r.ok) throw new Error(r.message);
    const v = r.doc.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__"]);
  });

  it("accepts a byte-order mark and refuses absurd nesting", () => {
    expect(parseJsonText("\ufeff[1]")).toMatchObject({ ok: true, doc: { value: [1] } });
    expect(parseJsonText("[".repeat(1000))).toMatchObject({ ok: false, message: "nested too deeply" });
  });
});
