import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestTls } from "../../packages/proto/src/test-tls";
import { freePort, pollFor } from "../../test/lab/host-process";
import { inheritedEnv } from "../../test/sandbox/inherited-env";

// The coordinator as deploy/install-coordinator.sh leaves it on a host, with TLS set up as
// deploy/README.md says: the real bundles of this checkout installed below a temporary root, started
// the way its systemd unit starts it (the unit's ExecStart with the environment file), then used the
// way an operator and the guests use it.
const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(join(tmpdir(), "phoenix-installed-coordinator-"));
const root = join(dir, "root");
const model = join(dir, "model");
const INSTALLED = ["/etc/phoenix/", "/opt/phoenix-coordinator/", "/var/lib/phoenix-coordinator"];
/** An installed path as it lies below the temporary root. */
const below = (path: string) => (INSTALLED.some((p) => path.startsWith(p)) ? join(root, path) : path);
const installedFile = (path: string) => readFileSync(join(root, path), "utf8");
const tls = makeTestTls("phoenix-installed-tls-");

let coordinator: ChildProcess;
let log = "";
let exit: Promise<number | null>;
let grpc = "";
let http = "";

beforeAll(async () => {
  cpSync(join(repo, "deploy/examples/model"), model, { recursive: true });
  const [port, httpPort] = [await freePort("127.0.0.1"), await freePort("127.0.0.1")];
  grpc = `127.0.0.1:${port}`;
  // With TLS, the install endpoint is HTTPS too, with the same certificate.
  http = `https://127.0.0.1:${httpPort}`;
  const install = (...args: string[]) => {
    const r = spawnSync("sh", [join(repo, "deploy/install-coordinator.sh"), ...args], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", PHOENIX_INSTALL_ROOT: root },
    });
    if (r.status !== 0) throw new Error(`install-coordinator.sh exited ${r.status}: ${r.stderr}`);
  };
  install("--model", model, "--listen", grpc, "--http-listen", `127.0.0.1:${httpPort}`);
  // TLS as deploy/README.md says: the certificate's lines added to coordinator.env, which an
  // update (the script run again, with no option) keeps.
  appendFileSync(
    join(root, "etc/phoenix/coordinator.env"),
    `PHOENIX_TLS_CERT=${tls.certFile}\nPHOENIX_TLS_KEY=${tls.keyFile}\n`,
  );
  install();

  // What systemd would run: ExecStart, with EnvironmentFile's settings as the environment.
  const unit = installedFile("etc/systemd/system/phoenix-coordinator.service");
  const execStart = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(" ");
  expect(/^EnvironmentFile=(.+)$/m.exec(unit)![1]).toBe("/etc/phoenix/coordinator.env");
  const env: Record<string, string> = {};
  for (const line of installedFile("etc/phoenix/coordinator.env").split("\n")) {
    const m = /^(PHOENIX_\w+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = below(m[2]!);
  }
  coordinator = spawn(execStart[0]!, execStart.slice(1).map(below), {
    env: { ...inheritedEnv(), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  coordinator.stderr!.on("data", (d) => (log += d));
  exit = new Promise((r) => coordinator.once("exit", (code) => r(code)));
  await pollFor(
    "the installed coordinator answers /healthz",
    async () => (curl(`${http}/healthz`).code === 0 ? true : undefined),
    20_000,
  );
});

afterAll(async () => {
  if (coordinator.exitCode === null) coordinator.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  rmSync(tls.dir, { recursive: true, force: true });
});

/** `curl -fsS --cacert <ca> URL`, as a guest fetches from the install endpoint. */
function curl(url: string, ca: string = tls.caFile) {
  const r = spawnSync("curl", ["-fsS", "--cacert", ca, url], { env: inheritedEnv() });
  return { code: r.status, body: r.stdout, err: r.stderr.toString() };
}

/** The installed phoenix CLI with root's settings, and one of the installed token files. */
function phoenix(token: "api" | "read-only" | "enrollment", args: string[], tlsCa: string = tls.caFile) {
  const r = spawnSync(process.execPath, [join(root, "opt/phoenix-coordinator/cli/phoenix.mjs"), ...args], {
    encoding: "utf8",
    env: {
      ...inheritedEnv(),
      PHOENIX_CONFIG: join(root, "root/.config/phoenix/cli.json"),
      PHOENIX_TOKEN_FILE: join(root, `etc/phoenix/${token}.token`),
      PHOENIX_TLS_CA: tlsCa,
      NO_COLOR: "1",
    },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("phoenix-coordinator installed by deploy/install-coordinator.sh, with TLS", () => {
  it("serves the guests' install script and agent bundle from this checkout, over HTTPS only", async () => {
    // The script says where it came from, so it fetches the bundle from there too.
    expect(curl(`${http}/agent/install.sh`).body.toString()).toBe(
      readFileSync(join(repo, "deploy/install-agent.sh"), "utf8").replace(
        "\nserved_from=''\n",
        `\nserved_from='${http}'\n`,
      ),
    );
    expect(curl(`${http}/agent/phoenix-agent.mjs`).body).toEqual(
      readFileSync(join(repo, "agents/node-agent/dist/phoenix-agent.mjs")),
    );
    // A guest trusting another CA gets nothing; nor does plain HTTP.
    const other = curl(`${http}/agent/install.sh`, tls.otherCaFile);
    expect([other.code, other.body.length]).toEqual([60, 0]);
    await expect(fetch(`${http.replace("https:", "http:")}/agent/install.sh`)).rejects.toThrow();
  });

  it("answers root's phoenix command with the API token, reads with the read-only token, and refuses the rest", () => {
    const untrusted = phoenix("api", ["status"], tls.otherCaFile);
    expect(untrusted.code).not.toBe(0);
    const status = phoenix("api", ["status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out).cluster).toBe("thinkheads");
    expect(phoenix("read-only", ["plan"]).code).toBe(0);
    const write = phoenix("read-only", ["sync", "all"]);
    expect([write.code, write.out]).toEqual([2, expect.stringMatching(/^phoenix: not allowed: /)]);
    const agentToken = phoenix("enrollment", ["nodes"]);
    expect([agentToken.code, agentToken.out]).toEqual([2, expect.stringMatching(/refused the API token/)]);
  });

  it("installs an agent from its endpoint as a guest's cloud-init does, and the agent connects", async () => {
    const script = curl(`${http}/agent/install.sh`).body.toString();
    const guest = join(dir, "guest");
    // What the user-data's commented entry writes for a coordinator with TLS.
    mkdirSync(join(guest, "etc/phoenix"), { recursive: true });
    cpSync(tls.caFile, join(guest, "etc/phoenix/ca.pem"));
    const r = spawnSync("sh", ["-s"], {
      input: script,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "",
        PHOENIX_INSTALL_ROOT: guest,
        PHOENIX_COORDINATOR: grpc,
        PHOENIX_ENROLLMENT_TOKEN: installedFile("etc/phoenix/enrollment.token").trim(),
      },
    });
    expect(r.stderr).toContain(`phoenix-agent install: downloading ${http}/agent/phoenix-agent.mjs\n`);
    expect(r.stderr).toMatch(/^phoenix-agent install: installed phoenix-agent \S+ in \S*\/opt\/phoenix$/m);
    expect(r.status).toBe(0);
    expect(readFileSync(join(guest, "opt/phoenix/phoenix-agent.mjs"))).toEqual(
      readFileSync(join(repo, "agents/node-agent/dist/phoenix-agent.mjs")),
    );

    // The installed unit's command, on the installed config; no Docker here (the agent reports it
    // unreachable), its state below the guest's root.
    const config = JSON.parse(readFileSync(join(guest, "etc/phoenix/agent.json"), "utf8"));
    expect(config.tlsCa).toBe("/etc/phoenix/ca.pem");
    const unit = readFileSync(join(guest, "etc/systemd/system/phoenix-agent.service"), "utf8");
    const execStart = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(" ");
    const onGuest = (a: string) =>
      a.startsWith("/opt/phoenix/") || a.startsWith("/etc/phoenix/") ? join(guest, a) : a;
    const agent = spawn(
      execStart[0]!,
      [
        ...execStart.slice(1).map(onGuest),
        "--state-dir",
        join(guest, "var/lib/phoenix"),
        "--docker-socket",
        join(dir, "no-docker.sock"),
        "--agent-id",
        "installed-agent",
        "--tls-ca",
        join(guest, config.tlsCa),
      ],
      { env: inheritedEnv(), stdio: "ignore" },
    );
    try {
      await pollFor(
        "the installed agent online at the installed coordinator",
        () => {
          const status = phoenix("read-only", ["status", "--json"]);
          return status.code === 0 && JSON.parse(status.out).agentsOnline === 1 ? true : undefined;
        },
        20_000,
      );
    } finally {
      agent.kill("SIGTERM");
    }
  });

  it("stops cleanly on SIGTERM, and its log holds none of the tokens", async () => {
    coordinator.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(log).toContain('"msg"');
    for (const token of ["enrollment", "api", "read-only"])
      expect(log).not.toContain(installedFile(`etc/phoenix/${token}.token`).trim());
  });
});
