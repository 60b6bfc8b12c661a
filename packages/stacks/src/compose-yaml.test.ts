import { describe, expect, it } from "vitest";
import { goString } from "./compose-loader";
import { parseComposeYaml } from "./compose-yaml";

// Expected strings are what `docker stack config` (docker CLI 28.2.2) prints for
// `environment: {K: <scalar>}`: Docker's YAML parser is go-yaml v3, not YAML 1.1.
describe("parseComposeYaml scalars", () => {
  it.each([
    ["y", "y"],
    ["yes", "yes"],
    ["on", "on"],
    ["off", "off"],
    ["0644", "420"],
    ["0o17", "15"],
    ["0x1F", "31"],
    ["-0x1F", "-31"],
    ["0b101", "5"],
    ["1_000", "1000"],
    ["1__0", "10"],
    [".", "."],
    [".5", "0.5"],
    ["+.5", "0.5"],
    ["1.", "1"],
    ["1.0", "1"],
    ["1e3", "1000"],
    ["1e6", "1e+06"],
    ["123456.0", "123456"],
    ["0.00001", "1e-05"],
    ["0.1e1", "1"],
    ["1_0.5", "10.5"],
    ["08", "8"],
    ["-0", "0"],
    ["+1", "1"],
    ["0o", "0o"],
    ["1:30", "1:30"],
    ["8080:80", "8080:80"],
    ["1e400", "1e400"],
    ["3.14159265358979", "3.14159265358979"],
    ["12345678901234567890", "12345678901234567890"],
    ["9223372036854775808", "9223372036854775808"],
    ["-9223372036854775809", "-9.223372036854776e+18"],
    ["2001-12-14", "2001-12-14 00:00:00 +0000 UTC"],
    ["2001-12-14T21:59:43.10-05:00", "2001-12-14 21:59:43.1 -0500 -0500"],
    ["'5'", "5"],
    ["!!str 5", "5"],
    ["'0644'", "0644"],
  ])("K: %s → %s", (yaml, printed) => {
    const value = parseComposeYaml(`K: ${yaml}`).K;
    expect(value === undefined ? undefined : goString(value)).toBe(printed);
  });

  it.each([
    ["true", true],
    ["True", true],
    ["FALSE", false],
    ["~", null],
    ["null", null],
    ["NULL", null],
    ["", null],
  ])("K: %s is %j", (yaml, value) => {
    expect(parseComposeYaml(`K: ${yaml}`).K).toBe(value);
  });

  it.each([
    ["true: 1", "non-string key at top level: true"],
    ["a:\n  1: x", "non-string key in a: 1"],
    ["~: 1", "non-string key at top level: ~"],
    ["a: 1\na: 2", "invalid YAML: Map keys must be unique"],
    ["K: .inf", "K: .inf is not a finite number"],
    ["- a", "top-level object must be a mapping"],
    ["", "top-level object must be a mapping"],
  ])("rejects %j", (yaml, message) => {
    expect(() => parseComposeYaml(yaml, "docker-compose.yml")).toThrow(message);
  });

  it("keeps keys like Y and ON as strings", () => {
    expect(parseComposeYaml("Y: 1\nON: 2\nno: 3")).toEqual({ Y: 1, ON: 2, no: 3 });
  });

  it("merges `<<` anchors; keys of the mapping itself win", () => {
    const doc = parseComposeYaml(
      "x-a: &a {image: foo, restart: always}\nx-b: &b {user: root, image: bar}\ns:\n  <<: [*a, *b]\n  image: mine\n",
    );
    expect(doc.s).toEqual({ image: "mine", restart: "always", user: "root" });
  });
});
