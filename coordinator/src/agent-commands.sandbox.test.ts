import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { StepStatus } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_IMAGE, useSandbox } from "../../test/sandbox";
import { createLogger } from "./logger";
import {
  startAgentIn,
  startTestCoordinator,
  TEST_TOKENS,
  type TestCoordinator,
  waitFor,
  writeModel,
} from "./test-support/lab";

// The coordinator in this process, the real agent bundle in two sandbox guests, the CLI bundle
// against them: what an operator sees when a deploy fails.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = join(ROOT, "cli/dist/phoenix.mjs");
const sandbox = useSandbox({ name: "coord-cmds", guests: 2, nats: false });

const compose = (image: string) =>
  `services:\n  web:\n    image: ${image}\n    command: ["sh", "-c", "echo hello-from-web; exec sleep 3600"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 1\n      endpoint_mode: dnsrr\n`;

const MODEL = {
  "etc/phoenix_cluster.json": { name: "cmds", swarm: { managers: "auto" }, environments: ["dev1"] },
  "etc/phoenix_vm_configs.json": {
    vms: [
      { vmid: 301, name: "guest-1", swarm_role: "manager" },
      { vmid: 302, name: "guest-2", swarm_role: "worker" },
    ],
  },
  "stacks/web/docker-compose.yml": compose(TEST_IMAGE),
  "stacks/web/phoenix.json": { description: "test web", environments: { dev1: {} } },
};

let lab: TestCoordinator;
let modelDir: string;
/** The coordinator's log lines. */
const coordinatorLog: string[] = [];

async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const msg of stream) out.push(msg);
  return out;
}

/** The environment that points the phoenix CLI at the test coordinator. */
const cliEnv = () => ({
  PATH: process.env.PATH ?? "",
  PHOENIX_COORDINATOR: lab.agentAddress,
  PHOENIX_TOKEN: TEST_TOKENS.api,
  NO_COLOR: "1",
});

/** Runs the phoenix CLI bundle against the test coordinator. */
function phoenix(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: cliEnv(), timeout: 170_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(CLI))
    execFileSync("npm", ["run", "build", "-w", "@phoenix/cli"], { cwd: ROOT, stdio: "pipe" });
  modelDir = writeModel(MODEL);
  const sink = new Writable({
    write(chunk, _enc, cb) {
      coordinatorLog.push(String(chunk));
      cb();
    },
  });
  lab = await startTestCoordinator({ modelDir, host: sandbox.bridgeIp, logger: createLogger("info", sink) });
  for (const [i, guest] of sandbox.guests.entries()) {
    await startAgentIn(guest, {
      coordinator: lab.agentAddress,
      tokenFile: lab.enrollmentTokenFile,
      vmid: 301 + i,
    });
  }
  await waitFor("2 agents online", () => lab.coordinator.registry.stats().online === 2);
  const sync = await drain(lab.client().sync({}));
  const failed = sync.filter((m) => m.msg.case === "step" && m.msg.value.status === StepStatus.FAILED);
  expect(failed).toEqual([]);
}, 150_000);

afterAll(async () => {
  await lab?.stop();
});

describe("a stack deploy that fails", () => {
  it("shows the failing service with its task error and that the previous specs were restored", async () => {
    const first = (await drain(lab.client().deployStack({ stack: "web", env: "dev1" }))).at(-1)?.msg;
    expect(first?.case === "result" && first.value.ok).toBe(true);
    writeModel({ "stacks/web/docker-compose.yml": compose("nope:latest") }, modelDir);
    const r = await phoenix(["swarm", "deploy", "web", "--env", "dev1"]);
    expect(r.code).toBe(1);
    const row = r.stdout.split("\n").find((l) => l.startsWith("dev1_web_web"));
    expect(row).toMatch(/^dev1_web_web\s+rolled-back\s+failed\s+0\/1\s+.*No such image: nope:latest/);
    expect(r.stdout).toContain("The previous specs were restored.");
    expect(r.stderr).toMatch(/deploy of dev1_web failed/);

    const svc = (await sandbox.guest("guest-1").docker.getService("dev1_web_web").inspect()) as {
      Spec: { TaskTemplate: { ContainerSpec: { Image: string } } };
    };
    expect(svc.Spec.TaskTemplate.ContainerSpec.Image).toBe(TEST_IMAGE);
    const state = JSON.parse(readFileSync(join(lab.config.stateDir, "state.json"), "utf8")) as {
      history: { action: string; ok: boolean; dockerWrites?: number }[];
    };
    const history = state.history.filter((h) => h.action === "deploy");
    expect(history.at(-1)).toMatchObject({ ok: false, stack: "web", env: "dev1" });
    expect(history.at(-1)?.dockerWrites).toBeGreaterThan(0);
    writeModel({ "stacks/web/docker-compose.yml": compose(TEST_IMAGE) }, modelDir);
  });
});

type NodeInfo = { ID: string; Description?: { Hostname?: string }; Status?: { State?: string } };
const managerDocker = () => sandbox.guest("guest-1").docker;
const nodesOf = async (hostname: string) =>
  ((await managerDocker().listNodes()) as NodeInfo[]).filter((x) => x.Description?.Hostname === hostname);

/** Runs a sync and returns its steps' kinds and outcomes; fails the test on a failed step. */
async function sync(): Promise<string[]> {
  const msgs = await drain(lab.client().sync({}));
  const steps = msgs.flatMap((m) => (m.msg.case === "step" ? [m.msg.value] : []));
  expect(steps.filter((st) => st.status === StepStatus.FAILED).map((st) => st.message)).toEqual([]);
  return steps.filter((st) => st.status === StepStatus.DONE).map((st) => `${st.stepId}: ${st.message}`);
}

describe("node entries a guest leaves behind", () => {
  it("a stale node (the guest left and joined again) is removed by the next sync", async () => {
    const [old] = await nodesOf("guest-2");
    expect(old).toBeDefined();
    await sandbox.guest("guest-2").docker.swarmLeave({});
    // The agent reports the engine out of the swarm and the coordinator joins it again by itself.
    await waitFor(
      "guest-2 back in the swarm with a new node",
      async () => (await nodesOf("guest-2")).some((x) => x.ID !== old!.ID && x.Status?.State === "ready"),
      60_000,
    );
    await waitFor(
      "the old node down",
      async () => (await nodesOf("guest-2")).find((x) => x.ID === old!.ID)?.Status?.State === "down",
      60_000,
    );
    const plan = await lab.client().plan({});
    expect(plan.steps.map((st) => [st.kind, st.target])).toContainEqual(["node.remove", "guest-2"]);
    expect(await sync()).toContainEqual(`remove-node:${old!.ID}: stale node ${old!.ID} removed`);
    expect((await nodesOf("guest-2")).map((x) => x.Status?.State)).toEqual(["ready"]);
    expect((await lab.client().plan({})).steps).toEqual([]);
  });

  it("a guest whose swarm_role becomes none leaves, and its node entry goes with it", async () => {
    const [node] = await nodesOf("guest-2");
    const vms = (role: string) => ({
      "etc/phoenix_vm_configs.json": {
        vms: [
          { vmid: 301, name: "guest-1", swarm_role: "manager" },
          { vmid: 302, name: "guest-2", swarm_role: role },
        ],
      },
    });
    writeModel(vms("none"), modelDir);
    try {
      expect(await sync()).toContainEqual(`leave:guest-2: left the swarm, node ${node!.ID} removed`);
      expect(await nodesOf("guest-2")).toEqual([]);
    } finally {
      writeModel(vms("worker"), modelDir);
    }
    await sync();
    expect((await nodesOf("guest-2")).map((x) => x.Status?.State)).toEqual(["ready"]);
  });
});

describe("a followed log stream whose caller leaves", () => {
  it("phoenix services logs -f interrupted: the agent stops streaming", async () => {
    const cli = spawn(process.execPath, [CLI, "services", "logs", "-f", "dev1_web_web"], {
      env: cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    cli.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => cli.on("exit", (code) => r(code)));
    await waitFor("the first log line", () => out.includes("hello-from-web"), 30_000);
    const cancels = () =>
      coordinatorLog
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === "a cancelled command ended on its agent");
    const before = cancels().length;
    cli.kill("SIGINT");
    expect(await exited).toBe(0);
    await waitFor("the agent's answer to the cancel", () => cancels().length > before, 10_000);
    expect(cancels().at(-1)).toMatchObject({ guest: "guest-1", command: "serviceLogs", code: "CANCELLED" });
    expect(lab.coordinator.registry.stats().pending).toBe(0);
  });
});
