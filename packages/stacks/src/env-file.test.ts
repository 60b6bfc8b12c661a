import { describe, expect, it } from "vitest";
import { parseEnvFile } from "./env-file";

describe("parseEnvFile", () => {
  const lookup = (k: string) => ({ SET: "from-env", EMPTY: "" })[k];

  it("reads values verbatim, skips comments and blank lines, looks bare keys up", () => {
    const text = '\uFEFFA=1\n# comment\n\n  B=two words \nC="quoted"\nD=\nSET\nUNSET\nEMPTY\r\nE=a=b\n';
    expect(parseEnvFile(text, lookup)).toEqual([
      { key: "A", value: "1" },
      { key: "B", value: "two words " },
      { key: "C", value: '"quoted"' },
      { key: "D", value: "" },
      { key: "SET", value: "from-env" },
      { key: "EMPTY", value: "" },
      { key: "E", value: "a=b" },
    ]);
  });

  it.each([
    ["=x", "no variable name on line '=x'"],
    ["MY VAR=1", "variable 'MY VAR' contains whitespaces"],
  ])("rejects %j", (text, message) => {
    expect(() => parseEnvFile(text)).toThrow(message);
  });
});
