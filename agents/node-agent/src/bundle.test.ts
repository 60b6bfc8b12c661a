import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { nvidiaSmiFixture, writeSimulatedNvidiaSmi } from "@phoenix/hardware";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCoordinator, waitFor } from "./test-coordinator";
import { AGENT_VERSION } from "./version";

// The shipped artifact: the esbuild bundle, run by a plain node as systemd runs it.
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(pkgDir, "dist", "phoenix-agent.mjs");
const TOKEN = "bundle-test-token-4c2e";
const dir = mkdtempSync(join(tmpdir(), "phoenix-bundle-"));
const children: ChildProcess[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [join(pkgDir, "build.mjs")], { stdio: "pipe" });
}, 60_000);
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function agent(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bundle, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("phoenix-agent bundle", () => {
  it("prints its version, which is the package's", () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string };
    expect(AGENT_VERSION).toBe(pkg.version);
    expect(agent(["--version"])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it.each([
    [["--help"], 0],
    [["help"], 0],
    [[], 2],
  ])("%j prints the usage and exits %i", (args, code) => {
    const r = agent(args);
    expect(r.code).toBe(code);
    expect(r.stdout).toMatch(/^phoenix-agent .*\n\nUsage:\n {2}phoenix-agent run/);
  });

  it.each([
    [["run", "--bogus"], {}, /^phoenix-agent: Unknown option '--bogus'.* \(see phoenix-agent --help\)\n$/],
    [["launch"], {}, /^phoenix-agent: unknown command "launch" \(commands: run, inventory/],
    [
      ["run"],
      { PHOENIX_ENROLLMENT_TOKEN: TOKEN, PHOENIX_COORDINATOR: "c:1", PHOENIX_VMID: "abc" },
      /^phoenix-agent: invalid agent configuration: vmid \(env PHOENIX_VMID\): must be a whole number\n$/,
    ],
    [
      ["run", "--config", "/nonexistent/agent.json"],
      {},
      /^phoenix-agent: \/nonexistent\/agent.json: invalid agent configuration: cannot read config file \(no such file\)\n$/,
    ],
    [
      ["run", "--coordinator", "nohost"],
      { PHOENIX_ENROLLMENT_TOKEN: TOKEN },
      /^phoenix-agent: invalid agent configuration: coordinator \(flag --coordinator\): must be "host:port"/,
    ],
  ])("%j: one clear line and exit 2, no stack trace, no token", (args, env, message) => {
    const r = agent(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
  });

  it("inventory --json reports this machine, a simulated GPU and an unreachable Docker", async () => {
    const smi = await writeSimulatedNvidiaSmi(dir, {
      xmlFile: nvidiaSmiFixture("tesla-t4-passthrough-515.xml"),
    });
    const r = agent([
      "inventory",
      "--json",
      "--nvidia-smi",
      smi,
      "--docker-socket",
      join(dir, "none.sock"),
      "--vmid",
      "4242",
    ]);
    expect(r.code).toBe(0);
    const inv = JSON.parse(r.stdout);
    expect(inv.host.hostname).toBe(hostname());
    expect(inv.host).toMatchObject({ vmid: 4242, vmidSource: "VMID_SOURCE_CONFIG" });
    expect(inv.gpu.state).toBe("GPU_STATE_OK");
    expect(inv.gpu.gpus[0].productName).toMatch(/T4/);
    expect(inv.docker.status).toBe("DOCKER_STATUS_UNREACHABLE");
    expect(inv.memory.totalBytes).toBe(
      String(Number(readFileSync("/proc/meminfo", "utf8").match(/MemTotal:\s+(\d+)/)![1]) * 1024),
    );
  });

  it("runs against a coordinator as systemd runs it and never prints the token", async () => {
    // The node flags of the shipped unit, so the agent runs as a guest runs it. Its memory and CPU
    // are measured by the benchmarks (npm run bench), not here.
    const unit = readFileSync(join(pkgDir, "..", "..", "deploy", "systemd", "phoenix-agent.service"), "utf8");
    const nodeFlags =
      /^ExecStart=\S+ (.*) \/opt\/phoenix\/phoenix-agent\.mjs run /m.exec(unit)?.[1]?.split(" ") ?? [];
    expect(nodeFlags).toContain("--jitless");
    const coordinator = await startTestCoordinator({ token: TOKEN, heartbeatMs: 500 });
    const config = join(dir, "agent.json");
    writeFileSync(
      config,
      JSON.stringify({
        coordinator: coordinator.address,
        enrollmentToken: TOKEN,
        dockerSocket: join(dir, "none.sock"),
      }),
      { mode: 0o600 },
    );
    const child = spawn(process.execPath, [...nodeFlags, bundle, "run", "--config", config], {
      env: { PATH: process.env.PATH ?? "", PHOENIX_LOG_LEVEL: "debug" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    try {
      const s = await waitFor(() => coordinator.live(), 20_000, "the agent's session");
      expect(s.hello?.agentId).toMatch(/\S+/);
      await waitFor(() => s.heartbeats.length >= 4, 10_000, "heartbeats");
      child.kill("SIGTERM");
      const code = await new Promise((r) => child.once("exit", r));
      expect(code).toBe(0);
      expect(output).toMatch(/connected to the coordinator/);
      expect(output).not.toMatch(/Warning/);
      expect(output).not.toContain(TOKEN);
    } finally {
      await coordinator.stop();
    }
  }, 60_000);
});
