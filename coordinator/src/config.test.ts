import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { type CoordinatorConfig, loadConfig, parseListen } from "./config";
import { formatDuration, parseDuration } from "./duration";

const dir = mkdtempSync(join(tmpdir(), "phoenix-config-"));
const model = join(dir, "model");
mkdirSync(model);
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const enroll = file("enroll", "enroll-secret-value\n");
const api = file("api", "api-secret-value");
const ro = file("ro", "ro-secret-value");
const assets = { agentBundle: "/opt/a.mjs", installScript: "/opt/i.sh" };
const base = [
  "--model",
  model,
  "--state-dir",
  join(dir, "state"),
  "--enrollment-token-file",
  enroll,
  "--api-token-file",
  api,
];

function run(argv: string[], env: NodeJS.ProcessEnv = {}): CoordinatorConfig {
  const out = loadConfig(argv, env, assets);
  if (out.kind !== "run") throw new Error("expected a config");
  return out.config;
}
function refuse(argv: string[], env: NodeJS.ProcessEnv = {}): PhoenixError {
  try {
    loadConfig(argv, env, assets);
  } catch (err) {
    expect(err).toBeInstanceOf(PhoenixError);
    expect((err as PhoenixError).code).toBe(ErrorCode.INVALID_CONFIG);
    return err as PhoenixError;
  }
  throw new Error("expected a config error");
}

describe("loadConfig", () => {
  it("reads flags, applies defaults and reads the token files", () => {
    const c = run([...base, "--read-only-token-file", ro, "--http-listen", "127.0.0.1:0"]);
    expect(c.listen).toEqual({ host: "0.0.0.0", port: 7443 });
    expect(c.httpListen).toEqual({ host: "127.0.0.1", port: 0 });
    expect(c.enrollmentToken.reveal()).toBe("enroll-secret-value");
    expect(c.readOnlyToken?.reveal()).toBe("ro-secret-value");
    expect([c.heartbeatIntervalMs, c.heartbeatTtlMs, c.heartbeatGraceMs]).toEqual([5_000, 15_000, 5_000]);
    expect(c.autoReconcile).toBe(true);
    expect(c.agentBundle).toBe("/opt/a.mjs");
  });

  it.each<[string, string[], NodeJS.ProcessEnv, { host: string; port: number } | undefined]>([
    ["serves the install endpoint on port 7480 by default", [], {}, { host: "0.0.0.0", port: 7480 }],
    ["takes an address", ["--http-listen", "10.0.0.5:8080"], {}, { host: "10.0.0.5", port: 8080 }],
    ["turns it off with --http-listen off", ["--http-listen", "off"], {}, undefined],
    ["turns it off with PHOENIX_HTTP_LISTEN=off", [], { PHOENIX_HTTP_LISTEN: "off" }, undefined],
    [
      "lets the flag win over PHOENIX_HTTP_LISTEN=off",
      ["--http-listen", "127.0.0.1:7481"],
      { PHOENIX_HTTP_LISTEN: "off" },
      { host: "127.0.0.1", port: 7481 },
    ],
  ])("--http-listen: %s", (_, argv, env, want) => {
    expect(run([...base, ...argv], env).httpListen).toEqual(want);
  });

  it("takes PHOENIX_* variables, and flags win over them", () => {
    const env = {
      PHOENIX_MODEL: model,
      PHOENIX_STATE_DIR: join(dir, "s2"),
      PHOENIX_ENROLLMENT_TOKEN_FILE: enroll,
      PHOENIX_API_TOKEN_FILE: api,
      PHOENIX_LISTEN: "127.0.0.1:9000",
      PHOENIX_HEARTBEAT_INTERVAL: "2s",
      PHOENIX_NATS_URL: "nats://127.0.0.1:4222",
      PHOENIX_NO_AUTO_RECONCILE: "1",
    };
    const c = run(["--listen", "[::1]:9001"], env);
    expect(c.listen).toEqual({ host: "::1", port: 9001 });
    expect(c.heartbeatIntervalMs).toBe(2_000);
    expect(c.heartbeatTtlMs).toBe(6_000);
    expect(c.natsUrl).toBe("nats://127.0.0.1:4222");
    expect(c.autoReconcile).toBe(false);
  });

  it("never prints a token, however the config is shown", () => {
    const c = run(base);
    const shown = [
      JSON.stringify(c),
      inspect(c, { depth: 5 }),
      String(c.apiToken),
      `${c.enrollmentToken}`,
    ].join("\n");
    expect(shown).not.toContain("secret-value");
    expect(shown).toContain("[redacted]");
  });

  it.each([
    [[], {}, /--model \(PHOENIX_MODEL\) is required.*--state-dir.*is required/],
    [[...base, "--heartbeat-interval", "fast"], {}, /--heartbeat-interval .*"fast" is not a duration/],
    [[...base, "--listen", "nowhere"], {}, /--listen .*"nowhere" is not HOST:PORT/],
    [[...base, "--listen", "h:70000"], {}, /not HOST:PORT/],
    [[...base, "--http-listen", "none"], {}, /--http-listen .*"none" is not HOST:PORT or off/],
    [[...base, "--tls-cert", "/x.pem"], {}, /--tls-cert .* and --tls-key .* go together/],
    [[...base, "--nats", "127.0.0.1:4222"], {}, /expected a URL like nats:/],
    [[...base, "--log-level", "loud"], {}, /--log-level/],
    [[...base, "--bogus"], {}, /Unknown option '--bogus'/],
    [[...base, "--heartbeat-interval", "1s", "--heartbeat-ttl", "500ms"], {}, /--heartbeat-ttl .* at least/],
  ])("refuses %j with one clear message", (argv, env, pattern) => {
    expect(refuse(argv as string[], env).message).toMatch(pattern);
  });

  it.each([
    [
      "a missing token file",
      ["--api-token-file", join(dir, "nope")],
      /--api-token-file .*cannot read .*nope \(ENOENT\)/,
    ],
    ["an empty token file", ["--api-token-file", file("empty", "  \n")], /--api-token-file .*is empty/],
    ["the API token equal to the enrollment token", ["--api-token-file", enroll], /must differ/],
    ["a model that is not a directory", ["--model", api], /--model .*is not a directory/],
  ])("refuses %s without showing a token", (_, extra, pattern) => {
    const err = refuse([...base, ...extra]);
    expect(err.message).toMatch(pattern);
    expect(err.message).not.toContain("secret-value");
  });

  it("prints help and version", () => {
    const help = loadConfig(["--help"], {}, assets);
    expect(help.kind === "print" && help.text).toMatch(/--enrollment-token-file FILE/);
    expect(help.kind === "print" && help.text).toMatch(/PHOENIX_API_TOKEN_FILE/);
    expect(help.kind === "print" && help.text).toMatch(
      /--http-listen HOST:PORT\|off +agent bundle, .*\(default 0\.0\.0\.0:7480; off: none\)/,
    );
    expect(loadConfig(["--version"], {}, assets)).toEqual({
      kind: "print",
      text: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
  });
});

describe("durations and addresses", () => {
  it.each([
    ["500ms", 500],
    ["2s", 2_000],
    ["1.5m", 90_000],
    ["1h", 3_600_000],
    ["3", 3_000],
    ["0", 0],
    ["2 s", 2_000],
    ["-1s", undefined],
    ["1d", undefined],
    ["", undefined],
  ])("parseDuration(%j) = %j", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each([
    [500, "500ms"],
    [2_000, "2s"],
    [120_000, "2m"],
    [0, "0s"],
  ])("formatDuration(%i) = %s", (ms, text) => expect(formatDuration(ms)).toBe(text));

  it.each([
    ["127.0.0.1:7443", { host: "127.0.0.1", port: 7443 }],
    [":7443", { host: "0.0.0.0", port: 7443 }],
    ["[::]:0", { host: "::", port: 0 }],
    ["localhost:80", { host: "localhost", port: 80 }],
    ["7443", undefined],
    ["a:b", undefined],
  ])("parseListen(%j)", (text, want) => expect(parseListen(text)).toEqual(want));
});
