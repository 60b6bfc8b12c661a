import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_COORDINATOR, parseDuration, resolveConnection } from "./settings";

const dir = mkdtempSync(join(tmpdir(), "phoenix-cli-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const noConfig = { XDG_CONFIG_HOME: join(dir, "none") };

describe("resolveConnection", () => {
  const tokenFile = file("token", "file-token\n");
  const config = file("cli.json", JSON.stringify({ coordinator: "cfg:1", token: "cfg-token" }));

  it.each([
    ["defaults", {}, noConfig, { coordinator: DEFAULT_COORDINATOR, token: undefined }],
    [
      "env over defaults",
      {},
      { ...noConfig, PHOENIX_COORDINATOR: "env:2", PHOENIX_TOKEN: "env-token" },
      { coordinator: "env:2", token: "env-token" },
    ],
    [
      "token file from env",
      {},
      { ...noConfig, PHOENIX_TOKEN_FILE: tokenFile },
      { coordinator: DEFAULT_COORDINATOR, token: "file-token" },
    ],
    ["config file", { config }, noConfig, { coordinator: "cfg:1", token: "cfg-token" }],
    [
      "env over config file",
      { config },
      { PHOENIX_COORDINATOR: "env:2" },
      { coordinator: "env:2", token: "cfg-token" },
    ],
    [
      "flags over env",
      { coordinator: "flag:3", tokenFile },
      { PHOENIX_COORDINATOR: "env:2", PHOENIX_TOKEN: "env-token" },
      { coordinator: "flag:3", token: "file-token" },
    ],
  ])("%s", (_name, flags, env, want) => {
    const c = resolveConnection(flags, env);
    expect({ coordinator: c.coordinator, token: c.token }).toEqual(want);
  });

  it.each([
    ["a config file that is not JSON", { config: file("bad.json", "{nope") }, /bad\.json is not valid JSON/],
    [
      "an unknown config key",
      { config: file("unknown.json", '{"coordinater":"x:1"}') },
      /unknown key "coordinater"/,
    ],
    [
      "a missing explicit config file",
      { config: join(dir, "missing.json") },
      /cannot read the config file .*missing\.json/,
    ],
    ["an empty token file", { tokenFile: file("empty", "") }, /token file .*empty .*is empty/],
    ["an address without a port", { coordinator: "localhost" }, /must be host:port/],
    ["a bad timeout", { timeout: "soon" }, /"soon" is not a duration/],
  ])("refuses %s with one clear error", (_name, flags, message) => {
    expect(() => resolveConnection(flags, noConfig)).toThrow(message);
  });

  it("never puts a token's value in an error", () => {
    const secret = file("secret.json", JSON.stringify({ token: 12345 }));
    expect(() => resolveConnection({ config: secret }, noConfig)).toThrow(/"token" must be a string/);
    try {
      resolveConnection({ config: secret }, noConfig);
    } catch (e) {
      expect(String(e)).not.toContain("12345");
    }
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["5", 5_000],
    ["1.5s", 1_500],
  ])("%s is %i ms", (text, ms) => expect(parseDuration(text)).toBe(ms));
});
