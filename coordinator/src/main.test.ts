import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GoodbyeReason } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeModel } from "./test-support/lab";
import { startScriptedAgent } from "./test-support/scripted-agent";

// The real bundle, as the README and the end-to-end tests run it.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BUNDLE = join(ROOT, "coordinator/dist/phoenix-coordinator.mjs");
const dir = mkdtempSync(join(tmpdir(), "phoenix-main-"));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const ENROLL = "enroll-main-test-token-77";
const API = "api-main-test-token-88";

beforeAll(() => {
  execFileSync("npm", ["run", "build", "-w", "@phoenix/coordinator"], { cwd: ROOT, stdio: "pipe" });
  expect(existsSync(BUNDLE)).toBe(true);
}, 60_000);

/** Every coordinator started here: one a failed test left running is killed after the file. */
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; stderr: string[]; exit: Promise<number> } {
  const child = spawn(process.execPath, [BUNDLE, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  const stderr: string[] = [];
  child.stderr?.on("data", (d) => stderr.push(String(d)));
  const exit = new Promise<number>((r) => child.on("exit", (code) => r(code ?? -1)));
  return { child, stderr, exit };
}

describe("phoenix-coordinator (bundle)", () => {
  it("refuses a bad configuration with one line and exit 2, without showing a token", async () => {
    const same = file("same", `${ENROLL}\n`);
    const p = run([
      "--model",
      writeModel({ "etc/phoenix_cluster.json": { name: "m", environments: ["dev1"] } }),
      "--state-dir",
      join(dir, "s0"),
      "--enrollment-token-file",
      same,
      "--api-token-file",
      same,
    ]);
    expect(await p.exit).toBe(2);
    const text = p.stderr.join("");
    expect(text.trim().split("\n")).toHaveLength(1);
    expect(text).toMatch(/^phoenix-coordinator: the API token and the enrollment token must differ/);
    expect(text).not.toContain(ENROLL);
  });

  it("serves agents and /healthz, and on SIGTERM says Goodbye SHUTDOWN to its agents and exits 0", async () => {
    const model = writeModel({ "etc/phoenix_cluster.json": { name: "mainlab", environments: ["dev1"] } });
    const p = run([], {
      PHOENIX_MODEL: model,
      PHOENIX_STATE_DIR: join(dir, "s1"),
      PHOENIX_LISTEN: "127.0.0.1:0",
      PHOENIX_HTTP_LISTEN: "127.0.0.1:0",
      PHOENIX_ENROLLMENT_TOKEN_FILE: file("enroll", ENROLL),
      PHOENIX_API_TOKEN_FILE: file("api", API),
      PHOENIX_LOG_LEVEL: "info",
    });
    let listening: { grpc: string; http: string } | undefined;
    const deadline = Date.now() + 20_000;
    while (!listening && Date.now() < deadline) {
      for (const line of p.stderr.join("").split("\n")) {
        if (line.includes('"coordinator listening"')) listening = JSON.parse(line);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(listening).toBeDefined();
    const health = (await (await fetch(`http://${listening!.http}/healthz`)).json()) as Record<
      string,
      unknown
    >;
    expect(health).toMatchObject({ ok: true, cluster: "mainlab", agentsOnline: 0 });

    const agent = startScriptedAgent(listening!.grpc, { agentId: "main-agent", token: ENROLL });
    expect((await agent.welcome).cluster).toBe("mainlab");
    p.child.kill("SIGTERM");
    expect(await agent.ended).toBeUndefined();
    expect(agent.goodbyes.map((g) => g.reason)).toEqual([GoodbyeReason.SHUTDOWN]);
    expect(await p.exit).toBe(0);
    const logs = p.stderr.join("");
    expect(logs).toMatch(/"msg":"stopped"/);
    for (const secret of [ENROLL, API]) expect(logs).not.toContain(secret);
  });
});
