import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { timestampFromDate } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_VERSION } from "../../agents/node-agent/src/version";
import { pollFor } from "../../test/lab/host-process";
import { inheritedEnv } from "../../test/sandbox/inherited-env";
import {
  ensureAgentBundle,
  startTestCoordinator,
  TEST_TOKENS,
  type TestCoordinator,
  writeModel,
} from "./test-support/lab";

// `phoenix agents update` end to end: the coordinator (real gRPC) gives its agent bundle to real agent
// processes that run an older copy of it. One agent runs the way its systemd unit runs it (a
// supervisor here restarts it when it exits and sets INVOCATION_ID, as Restart=always does); the
// other was started by hand, so it must refuse. No Docker: the agents report it unreachable.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = join(ROOT, "cli/dist/phoenix.mjs");
const OLD_VERSION = "0.0.9-old";
const dir = mkdtempSync(join(tmpdir(), "phoenix-agent-update-"));
let lab: TestCoordinator;
let newBundle: Buffer;
let oldBundle: string;
let stopping = false;
const children: ChildProcess[] = [];

/** An agent installed from the old bundle in its own /opt, run by `supervised` or by hand. */
function installAgent(name: string, supervised: boolean) {
  const home = join(dir, name);
  mkdirSync(join(home, "state"), { recursive: true });
  const bundle = join(home, "phoenix-agent.mjs");
  writeFileSync(bundle, oldBundle);
  let starts = 0;
  const start = () => {
    starts++;
    const child = spawn(
      process.execPath,
      [
        bundle,
        "run",
        "--coordinator",
        lab.agentAddress,
        "--enrollment-token-file",
        lab.enrollmentTokenFile,
        "--agent-id",
        name,
        "--docker-socket",
        join(dir, "no-docker.sock"),
        "--state-dir",
        join(home, "state"),
        "--log-level",
        "warn",
      ],
      {
        env: { ...inheritedEnv(), ...(supervised ? { INVOCATION_ID: `test-${name}` } : {}) },
        stdio: "ignore",
      },
    );
    children.push(child);
    // systemd's Restart=always, RestartSec short.
    if (supervised) child.once("exit", () => stopping || setTimeout(start, 200));
  };
  start();
  return { bundle: () => readFileSync(bundle, "utf8"), starts: () => starts };
}

/** The phoenix CLI bundle against the test coordinator (asynchronously: the coordinator runs in this process). */
function phoenix(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      ...inheritedEnv(),
      PHOENIX_COORDINATOR: lab.agentAddress,
      PHOENIX_TOKEN: TEST_TOKENS.api,
      PHOENIX_CONFIG: join(dir, "cli.json"),
      NO_COLOR: "1",
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

beforeAll(async () => {
  newBundle = readFileSync(ensureAgentBundle());
  const text = newBundle.toString("utf8");
  // The agent's version constant is the bundle's only quoted copy of it.
  expect(text.split(`"${AGENT_VERSION}"`)).toHaveLength(2);
  oldBundle = text.replace(`"${AGENT_VERSION}"`, `"${OLD_VERSION}"`);
  writeFileSync(join(dir, "cli.json"), "{}\n");
  const served = join(dir, "served", "phoenix-agent.mjs");
  mkdirSync(dirname(served), { recursive: true });
  writeFileSync(served, newBundle);
  lab = await startTestCoordinator({
    modelDir: writeModel({ "etc/phoenix_cluster.json": { name: "updates", environments: ["dev1"] } }),
    host: "127.0.0.1",
    agentBundle: served,
  });
}, 60_000);

afterAll(async () => {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("phoenix agents update", () => {
  it("updates the agent its unit supervises, refuses the one started by hand, and says which", async () => {
    const byUnit = installAgent("by-unit", true);
    const byHand = installAgent("by-hand", false);
    const agent = (id: string) => lab.coordinator.registry.get(id);
    await pollFor(
      "both old agents online",
      () => (agent("by-unit")?.online && agent("by-hand")?.online ? true : undefined),
      30_000,
    );
    expect(agent("by-unit")?.agentVersion).toBe(OLD_VERSION);

    const r = await phoenix(["agents", "update", "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout) as {
      version: string;
      agents: {
        guest: string;
        fromVersion: string;
        toVersion?: string;
        error?: { code: string; message: string };
      }[];
    };
    expect(result.version).toBe(AGENT_VERSION);
    const [hand, unit] = [...result.agents].sort((a, b) => (a.error ? -1 : 0) - (b.error ? -1 : 0));
    expect(unit).toMatchObject({ fromVersion: OLD_VERSION, toVersion: AGENT_VERSION });
    expect(unit!.error).toBeUndefined();
    expect(hand!.error?.code).toBe("INVALID_CONFIG");
    expect(hand!.error?.message).toMatch(
      /not started by systemd \(no INVOCATION_ID\).*update it with the install script/,
    );

    // The supervised one runs the coordinator's bundle now, in a new process; the other is as it was.
    expect(byUnit.bundle()).toBe(newBundle.toString("utf8"));
    expect(byUnit.starts()).toBe(2);
    expect(agent("by-unit")).toMatchObject({ online: true, agentVersion: AGENT_VERSION });
    expect(byHand.bundle()).toBe(oldBundle);
    expect(agent("by-hand")).toMatchObject({ online: true, agentVersion: OLD_VERSION });

    // Recorded as an event for other tools.
    const events: { type: string; data: { case?: string; value?: unknown } }[] = [];
    for await (const m of lab
      .client()
      .watchEvents({ sinceTime: timestampFromDate(new Date(0)), types: ["agent.updated"] }))
      if (m.event)
        events.push({ type: m.event.type, data: m.event.data as { case?: string; value?: unknown } });
    expect(events).toHaveLength(1);
    expect(events[0]!.data.value).toMatchObject({ fromVersion: OLD_VERSION, toVersion: AGENT_VERSION });
  }, 120_000);

  it("asked again for an agent that runs the bundle, changes nothing and restarts nothing", async () => {
    const r = await phoenix(["agents", "update", "by-unit"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("already runs this bundle");
    expect(lab.coordinator.registry.get("by-unit")?.agentVersion).toBe(AGENT_VERSION);
  });

  it("names an agent it does not know, with the ones there are", async () => {
    const r = await phoenix(["agents", "update", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^phoenix: no agent is called nope \(agents: /);
  });
});
