import { type ChildProcess, execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CommandResult,
  DockerStatus,
  type JoinTokensResult,
  NodeRole,
  type SwarmInitResult,
  SwarmLocalState,
} from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_IMAGE, useSandbox } from "../../../test/sandbox";
import {
  type RecordedSession,
  startTestCoordinator,
  type TestCoordinator,
  waitFor,
} from "./test-coordinator";

// Real guests (namespaced dockerd each), the real bundle run inside each guest's namespaces, a real
// gRPC AgentService on the host's bridge address standing in for the coordinator.
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(pkgDir, "dist", "phoenix-agent.mjs");
const TOKEN = "sandbox-enroll-5b1d";
const STACK_SECRET = "stack-secret-value-83f1";
const sandbox = useSandbox({ name: "node-agent", guests: 2, nats: false });

let coordinator: TestCoordinator;
const agents = new Map<string, { child: ChildProcess; output: () => string }>();
let seenJoinToken = "";

function startAgent(index: number) {
  const g = sandbox.guest(index);
  const child = g.spawn(process.execPath, [bundle, "run"], {
    env: {
      PATH: process.env.PATH ?? "",
      PHOENIX_COORDINATOR: coordinator.address,
      PHOENIX_ENROLLMENT_TOKEN: TOKEN,
      PHOENIX_AGENT_ID: g.name, // the guests share the host's /etc/machine-id
      PHOENIX_DOCKER_SOCKET: g.socketPath,
      PHOENIX_STATE_DIR: join(g.dir, "phoenix-agent"),
      PHOENIX_NVIDIA_SMI: join(g.dir, "no-nvidia-smi"),
      PHOENIX_LOG_LEVEL: "debug",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  agents.set(g.name, { child, output: () => out });
}

/** The live session of a guest's agent. */
const session = (name: string, timeoutMs = 20_000) =>
  waitFor(
    () => [...coordinator.sessions].reverse().find((s) => !s.ended && s.hello?.agentId === name),
    timeoutMs,
    `a session of ${name}`,
  );

let n = 0;
async function run(name: string, kind: Parameters<TestCoordinator["run"]>[0]["kind"], key = `k${++n}`) {
  const s = await session(name);
  const id = `cmd-${++n}`;
  s.send({ id, idempotencyKey: key, kind });
  return waitFor(() => s.results.find((r) => r.commandId === id), 60_000, `result of ${id}`);
}
const ok = <T>(r: CommandResult): T => {
  expect(r.error).toBeUndefined();
  return r.result.value as T;
};
const lastDocker = (s: RecordedSession) => s.heartbeats.at(-1)?.heartbeat.docker;

beforeAll(async () => {
  execFileSync(process.execPath, [join(pkgDir, "build.mjs")], { stdio: "pipe" });
  coordinator = await startTestCoordinator({ token: TOKEN, heartbeatMs: 500, host: sandbox.bridgeIp });
  startAgent(0);
  startAgent(1);
}, 120_000);

afterAll(async () => {
  for (const { child } of agents.values()) child.kill("SIGTERM");
  await coordinator?.stop();
  for (const [name, a] of agents) {
    expect(a.output(), `${name}'s output`).not.toContain(TOKEN);
    expect(a.output(), `${name}'s output`).not.toContain(STACK_SECRET);
    expect(a.output(), `${name}'s output`).not.toContain(Buffer.from(STACK_SECRET).toString("base64"));
    if (seenJoinToken) expect(a.output(), `${name}'s output`).not.toContain(seenJoinToken);
  }
});

describe("phoenix-agent in sandbox guests", () => {
  it("inventory --json in a guest reports that guest's hostname and Docker", async () => {
    const g = sandbox.guest(1);
    const r = await g.exec([
      process.execPath,
      bundle,
      "inventory",
      "--json",
      "--docker-socket",
      g.socketPath,
    ]);
    const inv = JSON.parse(r.stdout);
    const version = await g.docker.version();
    expect(inv.host.hostname).toBe(g.hostname);
    expect(inv.docker).toMatchObject({
      status: "DOCKER_STATUS_OK",
      engineVersion: version.Version,
      apiVersion: version.ApiVersion,
      swarmState: "SWARM_LOCAL_STATE_INACTIVE",
    });
    expect(inv.interfaces.flatMap((i: { addresses: string[] }) => i.addresses)).toContain(`${g.ip}/24`);
  });

  it("both agents connect with their guest's inventory", async () => {
    for (const i of [0, 1]) {
      const g = sandbox.guest(i);
      const s = await session(g.name);
      expect(s.hello?.inventory?.host?.hostname).toBe(g.hostname);
      expect(s.hello?.inventory?.docker?.status).toBe(DockerStatus.OK);
      await waitFor(() => s.heartbeats.length >= 2, 10_000, "heartbeats");
    }
  });

  it("inits a swarm on one guest and joins the other on command, idempotently", async () => {
    const [g1, g2] = [sandbox.guest(0), sandbox.guest(1)];
    const init = await run(g1.name, { case: "swarmInit", value: { advertiseAddr: g1.ip } }, "init-1");
    const { nodeId, already } = ok<SwarmInitResult>(init);
    expect([nodeId.length > 0, already]).toEqual([true, false]);
    expect(
      ok<SwarmInitResult>(await run(g1.name, { case: "swarmInit", value: { advertiseAddr: g1.ip } })),
    ).toMatchObject({
      nodeId,
      already: true,
    });
    const replay = await run(g1.name, { case: "swarmInit", value: { advertiseAddr: g1.ip } }, "init-1");
    expect(replay.replayed).toBe(true);
    expect(ok<SwarmInitResult>(replay).already).toBe(false);

    const tokens = ok<JoinTokensResult>(await run(g1.name, { case: "joinTokens", value: {} }));
    seenJoinToken = tokens.worker;
    expect(tokens.worker).toMatch(/^SWMTKN-1-/);
    expect(tokens.managerAddr).toBe(`${g1.ip}:2377`);

    const noManager = await run(g2.name, { case: "joinTokens", value: {} });
    expect(noManager.error?.code).toBe("NO_MANAGER");

    const join = {
      joinToken: tokens.worker,
      remoteAddrs: [tokens.managerAddr],
      role: NodeRole.WORKER,
      advertiseAddr: g2.ip,
    };
    const joined = ok<{ nodeId: string; already: boolean }>(
      await run(g2.name, { case: "swarmJoin", value: join }),
    );
    expect(joined.already).toBe(false);
    expect(ok<{ already: boolean }>(await run(g2.name, { case: "swarmJoin", value: join })).already).toBe(
      true,
    );

    const nodes = ok<{ nodes: { hostname: string; role: NodeRole }[] }>(
      await run(g1.name, { case: "swarmInspect", value: {} }),
    ).nodes;
    expect(nodes.map((x) => [x.hostname, x.role])).toEqual([
      [g1.hostname, NodeRole.MANAGER],
      [g2.hostname, NodeRole.WORKER],
    ]);

    // The worker's agent reports the membership by itself: heartbeats and an inventory update.
    const s2 = await session(g2.name);
    await waitFor(
      () => lastDocker(s2)?.swarmState === SwarmLocalState.ACTIVE,
      10_000,
      "an active swarm in heartbeats",
    );
    const update = await waitFor(
      () => s2.updates.find((u) => u.inventory?.docker?.nodeId === joined.nodeId),
      10_000,
      "an update",
    );
    expect(update.changed).toContain("docker");

    const label = { nodeId: joined.nodeId, labelsAdd: { zone: "rack1" } };
    const changed = ok<{ changed: boolean; node: { labels: Record<string, string> } }>(
      await run(g1.name, { case: "nodeUpdate", value: label }),
    );
    expect(changed.changed).toBe(true);
    expect(changed.node.labels).toEqual({ zone: "rack1" });
    expect(ok<{ changed: boolean }>(await run(g1.name, { case: "nodeUpdate", value: label })).changed).toBe(
      false,
    );
    const spec = (await g1.docker.getNode(joined.nodeId).inspect()) as {
      Spec: { Labels: Record<string, string> };
    };
    expect(spec.Spec.Labels).toEqual({ zone: "rack1" });
  });

  it("lists, scales and reads the logs of a service on the manager", async () => {
    const g1 = sandbox.guest(0);
    await g1.docker.createService({
      Name: "logger",
      TaskTemplate: {
        ContainerSpec: {
          Image: TEST_IMAGE,
          Command: ["sh", "-c", "echo line-1; echo line-2 >&2; echo line-3; sleep 3600"],
        },
        Placement: { Constraints: [`node.hostname == ${g1.hostname}`] },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const running = async () => {
      const r = ok<{ services: { name: string; running: number; desired: number }[] }>(
        await run(g1.name, { case: "serviceList", value: {} }),
      );
      return r.services.find((s) => s.name === "logger");
    };
    let svc = await running();
    for (let i = 0; i < 60 && svc?.running !== 1; i++) {
      await new Promise((r) => setTimeout(r, 500));
      svc = await running();
    }
    expect(svc).toMatchObject({ running: 1, desired: 1 });

    const tasks = ok<{ tasks: { state: string; nodeHostname: string; id: string }[] }>(
      await run(g1.name, { case: "taskList", value: { service: "logger" } }),
    ).tasks;
    expect(tasks[0]).toMatchObject({ state: "running", nodeHostname: g1.hostname });

    const s1 = await session(g1.name);
    const before = s1.progress.length;
    const logs = await run(g1.name, { case: "serviceLogs", value: { service: "logger" } });
    const lines = s1.progress.slice(before).filter((p) => p.commandId === logs.commandId);
    expect(ok<{ lines: number }>(logs).lines).toBe(3);
    // Docker does not keep the order between stdout and stderr: compare sorted by text.
    const got = lines.map((p) => [p.log?.text, p.log?.stream, p.log?.taskId]).sort();
    expect(got).toEqual([
      ["line-1", "stdout", tasks[0]!.id],
      ["line-2", "stderr", tasks[0]!.id],
      ["line-3", "stdout", tasks[0]!.id],
    ]);
    expect(lines.every((p) => p.log?.time !== undefined)).toBe(true);

    expect(
      ok(await run(g1.name, { case: "serviceScale", value: { service: "logger", replicas: 2 } })),
    ).toEqual(expect.objectContaining({ previous: 1, replicas: 2 }));
    const version = ((await g1.docker.getService("logger").inspect()) as { Version: { Index: number } })
      .Version.Index;
    expect(
      ok(await run(g1.name, { case: "serviceScale", value: { service: "logger", replicas: 2 } })),
    ).toEqual(expect.objectContaining({ previous: 2, replicas: 2 }));
    expect(
      ((await g1.docker.getService("logger").inspect()) as { Version: { Index: number } }).Version.Index,
    ).toBe(version);
    const missing = await run(g1.name, { case: "taskList", value: { service: "nope" } });
    expect(missing.error).toMatchObject({ code: "NOT_FOUND", message: "no service named nope" });
  });

  it("applies and removes a stack on the manager, streaming progress, never logging its secrets", async () => {
    const g1 = sandbox.guest(0);
    const ns = "dev_demo";
    const L = { "com.docker.stack.namespace": ns };
    const specsJson = JSON.stringify({
      networks: [{ Name: `${ns}_default`, Driver: "overlay", Labels: L, Attachable: true }],
      secrets: [{ Name: `${ns}_token`, Labels: L, Data: Buffer.from(STACK_SECRET).toString("base64") }],
      configs: [],
      services: [
        {
          Name: `${ns}_web`,
          Labels: L,
          TaskTemplate: {
            ContainerSpec: {
              Image: TEST_IMAGE,
              Labels: L,
              Command: ["sleep", "3600"],
              Secrets: [
                { SecretName: `${ns}_token`, File: { Name: "token", UID: "0", GID: "0", Mode: 0o400 } },
              ],
            },
            Networks: [{ Target: `${ns}_default`, Aliases: ["web"] }],
          },
          Mode: { Replicated: { Replicas: 1 } },
        },
      ],
    });
    const s1 = await session(g1.name);
    const before = s1.progress.length;
    const apply = { namespace: ns, specsJson, prune: true, wait: true };
    const first = ok<{ services: { name: string; action: string; state: string }[]; dockerWrites: number }>(
      await run(g1.name, { case: "stackApply", value: apply }),
    );
    expect(first.services).toEqual([
      expect.objectContaining({ name: `${ns}_web`, action: "created", state: "running" }),
    ]);
    expect(first.dockerWrites).toBeGreaterThan(0);
    expect(s1.progress.slice(before).some((p) => p.message.length > 0)).toBe(true);
    const again = ok<{ dockerWrites: number }>(await run(g1.name, { case: "stackApply", value: apply }));
    expect(again.dockerWrites).toBe(0);
    const removed = ok<{ removed: string[] }>(
      await run(g1.name, { case: "stackRemove", value: { namespace: ns } }),
    );
    expect(removed.removed).toEqual(expect.arrayContaining([`${ns}_web`, `${ns}_token`, `${ns}_default`]));
  });

  it("survives a dockerd restart: Docker goes unreachable, then back, without an agent restart", async () => {
    const g2 = sandbox.guest(1);
    const agent = agents.get(g2.name)!;
    const s = await session(g2.name);
    await g2.stopDocker();
    await waitFor(
      () => lastDocker(s)?.status === DockerStatus.UNREACHABLE,
      15_000,
      "Docker unreachable in heartbeats",
    );
    expect(lastDocker(s)?.error).toMatch(/did not answer/);
    const failed = await run(g2.name, { case: "swarmLeave", value: {} });
    expect(failed.error?.code).toBe("DOCKER");
    await g2.startDocker();
    await waitFor(() => lastDocker(s)?.status === DockerStatus.OK, 20_000, "Docker back in heartbeats");
    await waitFor(() => lastDocker(s)?.swarmState === SwarmLocalState.ACTIVE, 20_000, "the swarm back");
    expect(agent.child.exitCode).toBeNull();
    expect(s.ended).toBe(false);
    expect(coordinator.sessions.filter((x) => x.hello?.agentId === g2.name)).toHaveLength(1);
  });

  it("reconnects by itself after the coordinator restarts", async () => {
    const before = coordinator.sessions.length;
    await coordinator.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    const restarted = Date.now();
    await coordinator.restart();
    for (const i of [0, 1]) {
      const s = await session(sandbox.guest(i).name, 15_000);
      await waitFor(() => s.heartbeats.length >= 1, 5_000, "a heartbeat on the new session");
    }
    expect(Date.now() - restarted).toBeLessThan(10_000);
    expect(coordinator.sessions.length).toBe(before + 2);
    // The agent remembers what it did: the new Hello lists the keys of earlier state changes.
    const s1 = await session(sandbox.guest(0).name);
    expect(s1.hello?.knownIdempotencyKeys).toContain("init-1");
    for (const a of agents.values()) expect(a.child.exitCode).toBeNull();
  });
});
