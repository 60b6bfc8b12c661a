import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// deploy/install-coordinator.sh run for real on a stand-in checkout (bundles that only answer
// --version), below PHOENIX_INSTALL_ROOT so this machine's /etc and /opt stay untouched. The
// installed coordinator itself runs in install-coordinator.sandbox.test.ts, on the real bundles.
const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const unitFile = join(repo, "deploy", "systemd", "phoenix-coordinator.service");
const dir = mkdtempSync(join(tmpdir(), "phoenix-coordinator-install-"));
const model = join(dir, "model");
const node = execFileSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).trim();
const has = (tool: string, arg: string) => spawnSync(tool, [arg]).status === 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

mkdirSync(join(model, "etc"), { recursive: true });
writeFileSync(join(model, "etc", "phoenix_cluster.json"), '{"name":"lab"}\n');

/** A bundle that answers --version, an ES module like the real ones. */
const standIn = (version: string) =>
  `import { argv } from "node:process";\nif (argv.includes("--version")) console.log("${version}");\n`;

/** A checkout with the deploy files of this one and stand-in bundles. */
function checkout(name: string, version = "0.1.0-test"): string {
  const src = join(dir, name);
  for (const f of [
    "deploy/install-coordinator.sh",
    "deploy/install-agent.sh",
    "deploy/systemd/phoenix-coordinator.service",
  ])
    cpSync(join(repo, f), join(src, f));
  const write = (f: string, text: string) => {
    mkdirSync(dirname(join(src, f)), { recursive: true });
    writeFileSync(join(src, f), text);
  };
  write("coordinator/dist/phoenix-coordinator.mjs", standIn(version));
  write("agents/node-agent/dist/phoenix-agent.mjs", standIn(`agent ${version}`));
  write("cli/dist/phoenix.mjs", `import "./chunks/chunk-A.mjs";\n${standIn(`cli ${version}`)}`);
  write("cli/dist/chunks/chunk-A.mjs", "export {};\n");
  return src;
}

function install(src: string, root: string, args: string[]) {
  const r = spawnSync("sh", [join(src, "deploy", "install-coordinator.sh"), ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", PHOENIX_INSTALL_ROOT: root },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const read = (root: string, f: string) => readFileSync(join(root, f), "utf8");
const mode = (root: string, f: string) => statSync(join(root, f)).mode & 0o777;
const tokens = (root: string) =>
  ["enrollment", "api", "read-only"].map((t) => read(root, `etc/phoenix/${t}.token`));
/** The environment file's settings, comments left out. */
const settings = (root: string) =>
  Object.fromEntries(
    read(root, "etc/phoenix/coordinator.env")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );

describe("deploy/install-coordinator.sh", () => {
  const src = checkout("src");

  it("installs the bundles, root-only tokens, the settings, the unit and the phoenix command, and prints no token", () => {
    const root = join(dir, "r1");
    const r = install(src, root, ["--model", model]);
    expect(r.out).toContain("installed phoenix-coordinator 0.1.0-test");
    expect(r.code).toBe(0);

    const copiedFrom = {
      "phoenix-coordinator.mjs": "coordinator/dist/phoenix-coordinator.mjs",
      "phoenix-agent.mjs": "agents/node-agent/dist/phoenix-agent.mjs",
      "install-agent.sh": "deploy/install-agent.sh",
      "cli/phoenix.mjs": "cli/dist/phoenix.mjs",
      "cli/chunks/chunk-A.mjs": "cli/dist/chunks/chunk-A.mjs",
    };
    for (const [installed, from] of Object.entries(copiedFrom))
      expect(read(root, `opt/phoenix-coordinator/${installed}`)).toBe(read(src, from));
    expect(readdirSync(join(root, "opt/phoenix-coordinator")).sort()).toEqual([
      "cli",
      "install-agent.sh",
      "phoenix-agent.mjs",
      "phoenix-coordinator.mjs",
    ]);

    const made = tokens(root);
    for (const t of made) expect(t).toMatch(/^[0-9a-f]{64}\n$/);
    expect(new Set(made).size).toBe(3);
    for (const t of made) expect(r.out).not.toContain(t.trim());
    for (const f of ["enrollment.token", "api.token", "read-only.token", "coordinator.env"])
      expect(mode(root, `etc/phoenix/${f}`)).toBe(0o600);
    expect([mode(root, "etc/phoenix"), mode(root, "var/lib/phoenix-coordinator"), mode(root, "etc")]).toEqual(
      [0o700, 0o700, 0o755],
    );

    expect(settings(root)).toEqual({
      PHOENIX_MODEL: model,
      PHOENIX_STATE_DIR: "/var/lib/phoenix-coordinator",
      PHOENIX_LISTEN: "0.0.0.0:7443",
      PHOENIX_HTTP_LISTEN: "0.0.0.0:7480",
      PHOENIX_ENROLLMENT_TOKEN_FILE: "/etc/phoenix/enrollment.token",
      PHOENIX_API_TOKEN_FILE: "/etc/phoenix/api.token",
      PHOENIX_READ_ONLY_TOKEN_FILE: "/etc/phoenix/read-only.token",
      PHOENIX_AGENT_BUNDLE: "/opt/phoenix-coordinator/phoenix-agent.mjs",
      PHOENIX_INSTALL_SCRIPT: "/opt/phoenix-coordinator/install-agent.sh",
    });
    expect(read(root, "etc/systemd/system/phoenix-coordinator.service")).toBe(
      readFileSync(unitFile, "utf8").replace("ExecStart=/usr/bin/node ", `ExecStart=${node} `),
    );
    expect(read(root, "usr/local/bin/phoenix")).toBe(
      `#!/bin/sh\nexec ${node} /opt/phoenix-coordinator/cli/phoenix.mjs "$@"\n`,
    );
    expect(mode(root, "usr/local/bin/phoenix")).toBe(0o755);
    expect(JSON.parse(read(root, "root/.config/phoenix/cli.json"))).toEqual({
      coordinator: "127.0.0.1:7443",
      token_file: "/etc/phoenix/api.token",
    });
    expect(r.out).toContain("systemd is not running here");
    expect(r.out).toContain(
      "curl -fsSL http://<this host>:7480/agent/install.sh | sudo PHOENIX_COORDINATOR=<this host>:7443 PHOENIX_ENROLLMENT_TOKEN=<the token> sh",
    );
  });

  it("tells how guests fetch over HTTPS, checked against the CA, once the coordinator has TLS", () => {
    const root = join(dir, "r-tls");
    expect(install(src, root, ["--model", model]).code).toBe(0);
    writeFileSync(
      join(root, "etc/phoenix/coordinator.env"),
      `${read(root, "etc/phoenix/coordinator.env")}PHOENIX_TLS_CERT=/etc/phoenix/tls.crt\nPHOENIX_TLS_KEY=/etc/phoenix/tls.key\n`,
    );
    const r = install(src, root, []);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "curl -fsSL --cacert /etc/phoenix/ca.pem https://<this host>:7480/agent/install.sh | sudo PHOENIX_COORDINATOR=<this host>:7443",
    );
  });

  it("runs again as an update: new bundles, the same tokens, settings kept unless given, other lines kept", () => {
    const root = join(dir, "r2");
    expect(install(src, root, ["--model", model, "--listen", "10.0.0.5:9443"]).code).toBe(0);
    const before = tokens(root);
    writeFileSync(
      join(root, "etc/phoenix/coordinator.env"),
      `${read(root, "etc/phoenix/coordinator.env")}PHOENIX_LOG_LEVEL=debug\nPHOENIX_TLS_CERT=/etc/phoenix/tls.crt\n`,
    );
    writeFileSync(join(root, "root/.config/phoenix/cli.json"), '{"coordinator":"mine:1"}\n');

    const r = install(checkout("src-v2", "0.2.0-test"), root, [
      "--nats",
      "nats://127.0.0.1:4222",
      "--http-listen",
      "off",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("installed phoenix-coordinator 0.2.0-test");
    expect(r.out).not.toContain("created");
    expect(tokens(root)).toEqual(before);
    expect(read(root, "opt/phoenix-coordinator/cli/phoenix.mjs")).toContain("cli 0.2.0-test");
    expect(settings(root)).toMatchObject({
      PHOENIX_MODEL: model,
      PHOENIX_LISTEN: "10.0.0.5:9443",
      PHOENIX_HTTP_LISTEN: "off",
      PHOENIX_NATS_URL: "nats://127.0.0.1:4222",
      PHOENIX_LOG_LEVEL: "debug",
      PHOENIX_TLS_CERT: "/etc/phoenix/tls.crt",
    });
    expect(read(root, "etc/phoenix/coordinator.env").match(/^PHOENIX_MODEL=/gm)).toHaveLength(1);
    expect(read(root, "root/.config/phoenix/cli.json")).toBe('{"coordinator":"mine:1"}\n');
  });

  it("points root's phoenix command at the coordinator's own address when it listens on one", () => {
    const root = join(dir, "r3");
    expect(install(src, root, ["--model", model, "--listen", "[fd00::5]:7443"]).code).toBe(0);
    expect(JSON.parse(read(root, "root/.config/phoenix/cli.json")).coordinator).toBe("[fd00::5]:7443");
  });

  it.each<[string, string[], RegExp]>([
    ["no model the first time", [], /usage: install-coordinator.sh --model DIR/],
    ["a model that is not there", ["--model", join(dir, "nope")], /--model .*nope: no such directory/],
    [
      "a directory that is no model",
      ["--model", dir],
      /is not a Phoenix model: it has no etc\/phoenix_cluster.json/,
    ],
    [
      "a listen address without a port",
      ["--model", model, "--listen", "0.0.0.0"],
      /--listen must be HOST:PORT, got: 0.0.0.0/,
    ],
    [
      "a bad HTTP address",
      ["--model", model, "--http-listen", "h:80x"],
      /--http-listen must be HOST:PORT or off, got: h:80x/,
    ],
    ["a flag without its value", ["--model"], /--model needs a value/],
    ["an unknown argument", ["--model", model, "--port", "1"], /unknown argument: --port/],
    ["a setting with a space", ["--model", model, "--nats", "nats://a b"], /must not hold spaces/],
  ])("refuses %s with one message and installs nothing", (_what, args, message) => {
    const root = join(dir, "refused");
    const r = install(src, root, args);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(message);
    expect(r.out.trim().split("\n")).toHaveLength(1);
    expect(existsSync(root)).toBe(false);
  });

  it("refuses a checkout that is not built, and keeps the installed bundles when new ones do not run", () => {
    const unbuilt = checkout("unbuilt");
    rmSync(join(unbuilt, "cli/dist"), { recursive: true });
    const root = join(dir, "r4");
    const r = install(unbuilt, root, ["--model", model]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /cli\/dist\/phoenix.mjs is missing: build the checkout first \(npm ci && npm run build\)/,
    );
    expect(existsSync(root)).toBe(false);

    expect(install(src, root, ["--model", model]).code).toBe(0);
    const broken = checkout("broken", "0.3.0-test");
    writeFileSync(join(broken, "agents/node-agent/dist/phoenix-agent.mjs"), "syntax error here (\n");
    const again = install(broken, root, []);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/phoenix-agent.mjs does not run on node v/);
    expect(read(root, "opt/phoenix-coordinator/phoenix-coordinator.mjs")).toContain("0.1.0-test");
    expect(readdirSync(join(root, "opt/phoenix-coordinator")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it.skipIf(!has("shellcheck", "--version"))("is shellcheck-clean", () => {
    const script = join(repo, "deploy", "install-coordinator.sh");
    expect(spawnSync("shellcheck", ["-s", "sh", script], { encoding: "utf8" }).stdout).toBe("");
  });

  it.skipIf(!has("systemd-analyze", "--version"))("ships a unit systemd accepts", () => {
    const r = spawnSync("systemd-analyze", ["verify", unitFile], { encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });
});
