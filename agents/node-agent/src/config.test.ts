import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { type ConfigInput, loadConfig } from "./config";

const TOKEN = "s3cret-enrollment-token";

/** A fake filesystem: config files and token files by path (pure input, no I/O). */
function files(map: Record<string, string>) {
  return (p: string) => {
    const text = map[p];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
    return text;
  };
}

const FILE = "/etc/phoenix/agent.json";
const fileWith = (obj: Record<string, unknown>) => files({ [FILE]: JSON.stringify(obj) });

function load(input: Partial<ConfigInput>, read = files({}), mode: "run" | "inventory" = "run") {
  return loadConfig({ env: {}, flags: {}, ...input }, mode, read);
}

function problem(fn: () => unknown): PhoenixError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PhoenixError);
    return err as PhoenixError;
  }
  throw new Error("expected a config error");
}

describe("loadConfig precedence", () => {
  const base = { coordinator: "10.0.0.5:7443", enrollmentToken: TOKEN };

  it.each([
    ["file only", { file: FILE }, { vmid: 101 }, "10.0.0.5:7443", 101, "file /etc/phoenix/agent.json"],
    [
      "env over file",
      { file: FILE, env: { PHOENIX_VMID: "202", PHOENIX_COORDINATOR: "coord.lan:7000" } },
      { vmid: 101 },
      "coord.lan:7000",
      202,
      "env PHOENIX_VMID",
    ],
    [
      "flag over env over file",
      { file: FILE, env: { PHOENIX_VMID: "202" }, flags: { vmid: "303", coordinator: "[fd00::1]:7443" } },
      { vmid: 101 },
      "[fd00::1]:7443",
      303,
      "flag --vmid",
    ],
    [
      "empty env variable is unset",
      { file: FILE, env: { PHOENIX_VMID: "" } },
      { vmid: 101 },
      "10.0.0.5:7443",
      101,
      "file /etc/phoenix/agent.json",
    ],
  ])("%s", (_name, input, fileExtra, coordinator, vmid, vmidSource) => {
    const cfg = load(input as Partial<ConfigInput>, fileWith({ ...base, ...fileExtra }));
    expect(cfg.coordinator).toBe(coordinator);
    expect(cfg.vmid).toBe(vmid);
    expect(cfg.sources.vmid).toBe(vmidSource);
  });

  it("fills defaults", () => {
    const cfg = load({ env: { PHOENIX_COORDINATOR: "c:1", PHOENIX_ENROLLMENT_TOKEN: TOKEN } });
    expect(cfg).toMatchObject({
      dockerSocket: "/var/run/docker.sock",
      nvidiaSmi: "nvidia-smi",
      logLevel: "info",
      tls: {},
      enrollmentToken: TOKEN,
    });
    expect(cfg.stateDir).toBeUndefined();
  });

  it("reads the token from a token file, trimmed", () => {
    const read = files({ "/run/secrets/token": `${TOKEN}\n` });
    const cfg = load(
      { env: { PHOENIX_COORDINATOR: "c:1", PHOENIX_ENROLLMENT_TOKEN_FILE: "/run/secrets/token" } },
      read,
    );
    expect(cfg.enrollmentToken).toBe(TOKEN);
    expect(cfg.sources.enrollmentTokenFile).toBe("env PHOENIX_ENROLLMENT_TOKEN_FILE");
  });

  it("a token file from env replaces a token from the file (one setting)", () => {
    const read = files({ [FILE]: JSON.stringify(base), "/t": "other-token" });
    const cfg = load({ file: FILE, env: { PHOENIX_ENROLLMENT_TOKEN_FILE: "/t" } }, read);
    expect(cfg.enrollmentToken).toBe("other-token");
  });

  it("maps TLS fields", () => {
    const cfg = load({
      env: { PHOENIX_COORDINATOR: "c:1", PHOENIX_ENROLLMENT_TOKEN: TOKEN, PHOENIX_TLS_CA: "/ca.pem" },
      flags: { "tls-cert": "/c.pem", "tls-key": "/k.pem" },
    });
    expect(cfg.tls).toEqual({ caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" });
  });

  it("inventory mode needs no coordinator or token", () => {
    const cfg = load(
      { flags: { "nvidia-smi": "/opt/fake-smi", "docker-socket": "/run/d.sock" } },
      files({}),
      "inventory",
    );
    expect(cfg).toMatchObject({ nvidiaSmi: "/opt/fake-smi", dockerSocket: "/run/d.sock" });
  });
});

describe("loadConfig validation", () => {
  const ok = { PHOENIX_COORDINATOR: "10.0.0.5:7443", PHOENIX_ENROLLMENT_TOKEN: TOKEN };

  it.each([
    ["missing coordinator", { env: { PHOENIX_ENROLLMENT_TOKEN: TOKEN } }, /coordinator: is required/],
    [
      "bad coordinator",
      { env: { ...ok, PHOENIX_COORDINATOR: "10.0.0.5" } },
      /coordinator \(env PHOENIX_COORDINATOR\): must be "host:port"/,
    ],
    [
      "port out of range",
      { env: { ...ok }, flags: { coordinator: "h:70000" } },
      /coordinator \(flag --coordinator\): port must be between 1 and 65535/,
    ],
    [
      "vmid not a number",
      { env: { ...ok, PHOENIX_VMID: "abc" } },
      /vmid \(env PHOENIX_VMID\): must be a whole number/,
    ],
    [
      "vmid below 100",
      { env: { ...ok }, flags: { vmid: "7" } },
      /vmid \(flag --vmid\): must be a Proxmox vmid/,
    ],
    [
      "bad log level",
      { env: { ...ok, PHOENIX_LOG_LEVEL: "loud" } },
      /logLevel \(env PHOENIX_LOG_LEVEL\): must be one of trace, debug/,
    ],
    ["missing token", { env: { PHOENIX_COORDINATOR: "c:1" } }, /enrollmentToken: is required/],
    [
      "unreadable token file",
      { env: { PHOENIX_COORDINATOR: "c:1", PHOENIX_ENROLLMENT_TOKEN_FILE: "/nope" } },
      /enrollmentTokenFile \(env PHOENIX_ENROLLMENT_TOKEN_FILE\): cannot read \/nope \(ENOENT\)/,
    ],
    [
      "token with a space",
      { env: { ...ok, PHOENIX_ENROLLMENT_TOKEN: "a b c d" } },
      /enrollmentToken \(env PHOENIX_ENROLLMENT_TOKEN\): must be printable ASCII/,
    ],
    [
      "cert without key",
      { env: { ...ok, PHOENIX_TLS_CERT: "/c.pem" } },
      /tlsKey: tlsCert and tlsKey must be set together/,
    ],
    [
      "bad agent id",
      { env: { ...ok, PHOENIX_AGENT_ID: "has space" } },
      /agentId \(env PHOENIX_AGENT_ID\): must be 1-128 characters/,
    ],
  ])("%s", (_name, input, message) => {
    const err = problem(() => load(input as Partial<ConfigInput>));
    expect(err.code).toBe(ErrorCode.INVALID_CONFIG);
    expect(err.describe()).toMatch(/^invalid agent configuration: /);
    expect(err.describe()).toMatch(message);
  });

  it.each([
    [
      "unknown field",
      { coordinator: "c:1", enrollmentToken: TOKEN, vmId: 5 },
      /unknown field "vmId" \(in file \/etc\/phoenix\/agent.json\)/,
      "$.vmId",
    ],
    [
      "wrong type",
      { coordinator: "c:1", enrollmentToken: TOKEN, vmid: "x1" },
      /vmid \(file \/etc\/phoenix\/agent.json\): must be a whole number/,
      "$.vmid",
    ],
    [
      "both token forms",
      { coordinator: "c:1", enrollmentToken: TOKEN, enrollmentTokenFile: "/t" },
      /set either enrollmentToken or enrollmentTokenFile, not both/,
      "$.enrollmentToken",
    ],
  ])("file: %s names the file and the JSON path", (_name, content, message, path) => {
    const err = problem(() => load({ file: FILE }, fileWith(content)));
    expect(err.describe()).toMatch(message);
    expect(err.place).toEqual({ file: FILE, path });
  });

  it.each([
    ["missing file", files({}), /cannot read config file \(no such file\)/],
    [
      "not JSON",
      files({ [FILE]: `{\n "enrollmentToken": "${TOKEN}",\n }` }),
      /config file is not valid JSON \(line 3, column 2\)/,
    ],
    ["not an object", files({ [FILE]: "[1]" }), /config file must hold a JSON object/],
  ])("file: %s", (_name, read, message) => {
    const err = problem(() => load({ file: FILE }, read));
    expect(err.describe()).toMatch(message);
    expect(err.describe()).not.toContain(TOKEN);
  });

  it("lists every problem in one error", () => {
    const err = problem(() => load({ env: { PHOENIX_VMID: "x", PHOENIX_LOG_LEVEL: "loud" } }));
    expect(err.message).toBe("invalid agent configuration (4 problems)");
    expect(err.details.map((d) => d.message.split(":")[0])).toEqual([
      "vmid (env PHOENIX_VMID)",
      "logLevel (env PHOENIX_LOG_LEVEL)",
      "coordinator",
      "enrollmentToken",
    ]);
  });

  it("never puts the token in a message", () => {
    const err = problem(() =>
      load({ env: { PHOENIX_COORDINATOR: "x", PHOENIX_ENROLLMENT_TOKEN: `${TOKEN} x` } }),
    );
    expect(err.describe()).not.toContain(TOKEN);
  });
});
