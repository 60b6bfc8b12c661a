import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { makeTestTls } from "../../../packages/proto/src/test-tls";
import { loadConfig } from "./config";

// deploy/install-agent.sh run for real: a loopback HTTP server plays the coordinator's endpoint,
// PHOENIX_INSTALL_ROOT keeps it out of this machine's /etc and /opt (no systemd runs here).
const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const script = join(repo, "deploy", "install-agent.sh");
const unitFile = join(repo, "deploy", "systemd", "phoenix-agent.service");
const userData = join(repo, "deploy", "cloud-init", "user-data.yaml");
const TOKEN = `fleet"tok\\en-91ab`;
const dir = mkdtempSync(join(tmpdir(), "phoenix-install-"));
const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

let server: Server;
let base = "";
let bundleText = "";
let requests: string[] = [];
// The same files over HTTPS, with a certificate for 127.0.0.1 signed by tls.caFile.
const tls = makeTestTls("phoenix-install-agent-tls-");
let httpsServer: Server;
let httpsBase = "";
/** What the stand-in endpoint serves at /agent/install.sh (the user-data's test runs it). */
const INSTALL_STUB = 'echo "install.sh ran for $PHOENIX_COORDINATOR"\n';

beforeAll(async () => {
  // A tiny stand-in for the bundle that behaves like it for `--version`, the check the script runs,
  // and is an ES module like it (node runs one only from a .mjs file).
  bundleText =
    "import { argv } from 'node:process';\nif (argv.includes('--version')) console.log('0.1.0-test');\n";
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? "");
    if (req.url === "/agent/phoenix-agent.mjs") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(bundleText);
    } else if (req.url === "/agent/install.sh") {
      res.writeHead(200, { "content-type": "text/x-shellscript" }).end(INSTALL_STUB);
    } else res.writeHead(404).end("not found");
  };
  server = createServer(serve);
  httpsServer = createHttpsServer(
    { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
    serve,
  ) as unknown as Server;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => httpsServer.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  httpsBase = `https://127.0.0.1:${(httpsServer.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
  httpsServer.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(tls.dir, { recursive: true, force: true });
});

/**
 * Runs the script (asynchronously: the HTTP server it downloads from lives in this process);
 * `servedFrom` fills its served_from line as the coordinator's endpoint does when serving it.
 */
function install(root: string, args: string[], env: Record<string, string> = {}, servedFrom?: string) {
  let path = script;
  if (servedFrom !== undefined) {
    path = join(dir, `served-${requests.length}-${Math.random().toString(16).slice(2)}.sh`);
    const text = readFileSync(script, "utf8");
    expect(text).toContain("\nserved_from=''\n");
    writeFileSync(path, text.replace("\nserved_from=''\n", `\nserved_from='${servedFrom}'\n`));
  }
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn("sh", [path, ...args], {
      env: {
        PATH: process.env.PATH ?? "",
        PHOENIX_INSTALL_ROOT: root,
        PHOENIX_COORDINATOR_HTTP: base,
        ...env,
      },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("deploy/install-agent.sh", () => {
  it("installs the bundle, a root-only config and the unit, and never prints the token", async () => {
    const root = join(dir, "r1");
    requests = [];
    const r = await install(root, [], {
      PHOENIX_COORDINATOR: "10.213.0.1:7443",
      PHOENIX_ENROLLMENT_TOKEN: TOKEN,
    });
    expect(r.out).toContain("installed phoenix-agent 0.1.0-test");
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("fleet");
    expect(requests).toEqual(["/agent/phoenix-agent.mjs"]);
    expect(readFileSync(join(root, "opt/phoenix/phoenix-agent.mjs"), "utf8")).toBe(bundleText);

    const config = join(root, "etc/phoenix/agent.json");
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, "utf8"))).toEqual({
      coordinator: "10.213.0.1:7443",
      enrollmentToken: TOKEN,
      stateDir: "/var/lib/phoenix",
    });
    // The agent itself accepts what the script wrote.
    const cfg = loadConfig({ file: config, env: {}, flags: {} });
    expect([cfg.coordinator, cfg.enrollmentToken, cfg.stateDir]).toEqual([
      "10.213.0.1:7443",
      TOKEN,
      "/var/lib/phoenix",
    ]);

    const unit = readFileSync(join(root, "etc/systemd/system/phoenix-agent.service"), "utf8");
    const node = execFileSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).trim();
    expect(unit).toBe(
      readFileSync(unitFile, "utf8").replace("ExecStart=/usr/bin/node ", `ExecStart=${node} `),
    );
    expect(r.out).toContain("systemd is not running here");
  });

  it.each([
    [["10.0.0.5", "tok"], "10.0.0.5:7443"],
    [["[fd00::5]:9000", "tok"], "[fd00::5]:9000"],
  ])("takes the address and token as arguments %j", async (args, coordinator) => {
    const root = join(dir, `args-${coordinator.length}`);
    expect((await install(root, args)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, "etc/phoenix/agent.json"), "utf8")).coordinator).toBe(
      coordinator,
    );
  });

  it.each<[string[], string, RegExp]>([
    [[], "", /usage: install-agent.sh COORDINATOR TOKEN/],
    [["10.0.0.5:http", "tok"], "", /coordinator address must be host\[:port\], got: 10.0.0.5:http/],
    [["10.0.0.5", "has space"], "", /enrollment token must be printable ASCII without spaces/],
    [
      ["10.0.0.5", "tok"],
      "/missing",
      /cannot download http:\/\/127.0.0.1:\d+\/missing\/agent\/phoenix-agent.mjs/,
    ],
  ])("refuses %j (endpoint path %j) with one message and changes nothing", async (args, path, message) => {
    const root = join(dir, "refused");
    const r = await install(root, args, { PHOENIX_COORDINATOR_HTTP: base + path });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(message);
    expect(existsSync(join(root, "etc/phoenix/agent.json"))).toBe(false);
    expect(existsSync(join(root, "opt/phoenix/phoenix-agent.mjs"))).toBe(false);
  });

  it("run with neither value on a guest with an agent, updates the bundle and keeps its configuration", async () => {
    const root = join(dir, "self-update");
    expect((await install(root, ["10.0.0.5:7443", "tok-1"])).code).toBe(0);
    const config = join(root, "etc/phoenix/agent.json");
    const before = readFileSync(config, "utf8");
    const old = bundleText;
    bundleText = bundleText.replace("0.1.0-test", "0.2.0-test");
    try {
      const r = await install(root, []);
      expect(r.code).toBe(0);
      expect(r.out).toContain("installed phoenix-agent 0.2.0-test");
      expect(r.out).toContain("kept the configuration in /etc/phoenix/agent.json");
      expect(readFileSync(config, "utf8")).toBe(before);
      expect(statSync(config).mode & 0o777).toBe(0o600);
    } finally {
      bundleText = old;
    }
    writeFileSync(config, '{"coordinatorAddress": "x"}\n');
    const r = await install(root, []);
    expect([r.code, r.out.trim()]).toEqual([
      1,
      "phoenix-agent install: /etc/phoenix/agent.json names no coordinator: give COORDINATOR and TOKEN",
    ]);
  });

  it("makes the agent trust the CA in /etc/phoenix/ca.pem or PHOENIX_TLS_CA, for a coordinator with TLS", async () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const withCa = join(dir, "tls-default");
    mkdirSync(join(withCa, "etc/phoenix"), { recursive: true });
    writeFileSync(join(withCa, "etc/phoenix/ca.pem"), pem);
    expect((await install(withCa, ["10.0.0.5", "tok"])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(withCa, "etc/phoenix/agent.json"), "utf8"))).toEqual({
      coordinator: "10.0.0.5:7443",
      enrollmentToken: "tok",
      tlsCa: "/etc/phoenix/ca.pem",
      stateDir: "/var/lib/phoenix",
    });

    const named = join(dir, "tls-named");
    mkdirSync(join(named, "srv"), { recursive: true });
    writeFileSync(join(named, "srv/fleet-ca.pem"), pem);
    expect((await install(named, ["10.0.0.5", "tok"], { PHOENIX_TLS_CA: "/srv/fleet-ca.pem" })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(named, "etc/phoenix/agent.json"), "utf8")).tlsCa).toBe(
      "/srv/fleet-ca.pem",
    );
  });

  it("with a CA, downloads over HTTPS checked against it, from where the script was served", async () => {
    const root = join(dir, "tls-https");
    mkdirSync(join(root, "etc/phoenix"), { recursive: true });
    writeFileSync(join(root, "etc/phoenix/ca.pem"), readFileSync(tls.caFile));
    requests = [];
    // Served from the HTTPS endpoint: the bundle comes from there (no PHOENIX_COORDINATOR_HTTP).
    let r = await install(root, ["10.0.0.5", "tok"], { PHOENIX_COORDINATOR_HTTP: "" }, httpsBase);
    expect([r.code, r.out]).toEqual([
      0,
      expect.stringContaining(`downloading ${httpsBase}/agent/phoenix-agent.mjs`),
    ]);
    expect(requests).toEqual(["/agent/phoenix-agent.mjs"]);
    expect(readFileSync(join(root, "opt/phoenix/phoenix-agent.mjs"), "utf8")).toBe(bundleText);

    // An update reads the CA from agent.json, wherever it is.
    const named = join(dir, "tls-https-named");
    mkdirSync(join(named, "srv"), { recursive: true });
    writeFileSync(join(named, "srv/fleet-ca.pem"), readFileSync(tls.caFile));
    const ca = { PHOENIX_TLS_CA: "/srv/fleet-ca.pem" };
    expect(
      (await install(named, ["10.0.0.5", "tok"], { ...ca, PHOENIX_COORDINATOR_HTTP: httpsBase })).code,
    ).toBe(0);
    r = await install(named, [], { PHOENIX_COORDINATOR_HTTP: "" }, httpsBase);
    expect([r.code, r.out]).toEqual([0, expect.stringContaining("kept the configuration")]);

    // A certificate the CA did not sign: nothing is downloaded or installed.
    const other = join(dir, "tls-https-other");
    mkdirSync(join(other, "etc/phoenix"), { recursive: true });
    writeFileSync(join(other, "etc/phoenix/ca.pem"), readFileSync(tls.otherCaFile));
    r = await install(other, ["10.0.0.5", "tok"], { PHOENIX_COORDINATOR_HTTP: "" }, httpsBase);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`cannot download ${httpsBase}/agent/phoenix-agent.mjs`);
    expect(existsSync(join(other, "opt/phoenix/phoenix-agent.mjs"))).toBe(false);
    expect(existsSync(join(other, "etc/phoenix/agent.json"))).toBe(false);
  });

  it.each([
    ["no CA", false, "http://127.0.0.1:7480"],
    ["a CA", true, "https://127.0.0.1:7480"],
  ])(
    "given neither served_from nor PHOENIX_COORDINATOR_HTTP and %s, downloads from %s",
    async (_what, withCa, url) => {
      const root = join(dir, `default-${withCa}`);
      mkdirSync(join(root, "etc/phoenix"), { recursive: true });
      if (withCa) writeFileSync(join(root, "etc/phoenix/ca.pem"), readFileSync(tls.caFile));
      // The endpoint's default port on loopback, for this test only.
      const onDefault = withCa
        ? createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (_q, res) =>
            res.end(bundleText),
          )
        : createServer((_q, res) => res.end(bundleText));
      await new Promise<void>((resolve, reject) => {
        onDefault.once("error", reject);
        onDefault.listen(7480, "127.0.0.1", resolve);
      });
      try {
        const r = await install(root, ["127.0.0.1", "tok"], { PHOENIX_COORDINATOR_HTTP: "" });
        expect([r.code, r.out]).toEqual([
          0,
          expect.stringContaining(`downloading ${url}/agent/phoenix-agent.mjs`),
        ]);
      } finally {
        await new Promise((resolve) => onDefault.close(resolve));
      }
    },
  );

  it.each([
    ["ca.pem", /PHOENIX_TLS_CA must be an absolute path, got: ca.pem/],
    ["/srv/missing.pem", /\/srv\/missing.pem holds no PEM certificate/],
  ])("refuses PHOENIX_TLS_CA=%s with one message and installs nothing", async (ca, message) => {
    const root = join(dir, "tls-refused");
    const r = await install(root, ["10.0.0.5", "tok"], { PHOENIX_TLS_CA: ca });
    expect([r.code, r.out.trim().split("\n")]).toEqual([1, [expect.stringMatching(message)]]);
    expect(existsSync(join(root, "opt/phoenix/phoenix-agent.mjs"))).toBe(false);
  });

  it("keeps the installed bundle when the new one does not run", async () => {
    const root = join(dir, "update");
    expect((await install(root, ["10.0.0.5", "tok"])).code).toBe(0);
    const good = bundleText;
    bundleText = "syntax error here (\n";
    try {
      const r = await install(root, ["10.0.0.5", "tok"]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/the downloaded bundle does not run/);
      expect(readFileSync(join(root, "opt/phoenix/phoenix-agent.mjs"), "utf8")).toBe(good);
      expect(readdirSync(join(root, "opt/phoenix"))).toEqual(["phoenix-agent.mjs"]);
    } finally {
      bundleText = good;
    }
  });

  it.skipIf(!hasShellcheck)("is shellcheck-clean, as is the user-data's script", () => {
    expect(spawnSync("shellcheck", ["-s", "sh", script], { encoding: "utf8" }).stdout).toBe("");
    const runcmd = join(dir, "runcmd.sh");
    writeFileSync(
      runcmd,
      (parseYaml(readFileSync(userData, "utf8")) as { runcmd: string[][] }).runcmd[0]![2]!,
    );
    expect(spawnSync("shellcheck", ["-s", "sh", runcmd], { encoding: "utf8" }).stdout).toBe("");
  });
});

describe("deploy/systemd/phoenix-agent.service", () => {
  it.skipIf(!hasSystemdAnalyze)("is a unit systemd accepts", () => {
    const r = spawnSync("systemd-analyze", ["verify", unitFile], { encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("deploy/cloud-init/user-data.yaml", () => {
  const text = readFileSync(userData, "utf8");
  const data = parseYaml(text) as {
    write_files: { path: string; permissions: string; content: string }[];
    runcmd: string[][];
  };

  it("is cloud-config whose only inputs are the coordinator address and the token", () => {
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    const env = data.write_files.find((f) => f.path === "/etc/phoenix/install.env")!;
    expect(env.permissions).toBe("0600");
    expect(
      env.content
        .trim()
        .split("\n")
        .map((l) => l.split("=")[0]),
    ).toEqual(["PHOENIX_COORDINATOR", "PHOENIX_ENROLLMENT_TOKEN"]);
  });

  it("fetches the install script over HTTPS checked against ca.pem when cloud-init wrote one, and runs it", async () => {
    const root = join(dir, "cloud-init");
    mkdirSync(join(root, "etc/phoenix"), { recursive: true });
    writeFileSync(
      join(root, "etc/phoenix/install.env"),
      `PHOENIX_COORDINATOR=10.0.0.5:7443\nPHOENIX_ENROLLMENT_TOKEN=tok\nPHOENIX_COORDINATOR_HTTP=${httpsBase}\n`,
    );
    writeFileSync(join(root, "etc/phoenix/ca.pem"), readFileSync(tls.caFile));
    // The runcmd as written, with /etc/phoenix moved below the test's root.
    const runcmd = data.runcmd[0]![2]!.replaceAll("/etc/phoenix", join(root, "etc/phoenix"));
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn("sh", ["-c", runcmd], { env: { PATH: process.env.PATH ?? "" } });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("close", (code) => resolve({ code, out }));
    });
    expect([r.code, r.out]).toEqual([0, "install.sh ran for 10.0.0.5:7443\n"]);
    expect(existsSync(join(root, "etc/phoenix/install.env"))).toBe(false);
  });

  it("downloads the install script from the coordinator, runs it, and removes the token file", () => {
    const sh = data.runcmd[0]!;
    expect(sh.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(sh[2]).toContain('url="$PHOENIX_COORDINATOR_HTTP/agent/install.sh"');
    expect(sh[2]).toContain('sh "$script"');
    expect(sh[2]).toMatch(/rm -f "\$script" \/etc\/phoenix\/install\.env\s*$/);
  });
});
