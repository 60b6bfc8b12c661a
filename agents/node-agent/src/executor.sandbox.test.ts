import {
  type Command,
  type CommandResult,
  CommandSchema,
  create,
  durationFromMs,
  type MessageInitShape,
  type StackApplyResult,
  timestampFromMs,
} from "@phoenix/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_IMAGE, useSandbox } from "../../../test/sandbox";
import { createDockerProvider } from "./docker";
import { createExecutor, type Executor } from "./executor";
import { createLogger } from "./logger";
import { NAMESPACE_LABEL } from "./stack";

// Commands run through the executor against real guests' dockerd: guest 0 is the manager.
const sandbox = useSandbox({ name: "agent-exec", guests: 2, nats: false });

let manager: Executor;
const logs: string[] = [];

function executorOf(index: number): Executor {
  return createExecutor({
    docker: createDockerProvider(sandbox.guest(index).socketPath),
    refreshInventory: () => Promise.reject(new Error("not used")),
    log: createLogger("debug", { write: (s: string) => void logs.push(s) }),
  });
}

type Kind = MessageInitShape<typeof CommandSchema>["kind"];

let n = 0;
const command = (kind: Kind, timeoutMs = 60_000): Command =>
  create(CommandSchema, {
    id: `c${++n}`,
    idempotencyKey: `k${n}`,
    deadline: timestampFromMs(Date.now() + timeoutMs),
    kind,
  });

const run = (e: Executor, kind: Kind): Promise<CommandResult> => e.execute(command(kind), () => {});

function stack(ns: string, image: string): string {
  const L = { [NAMESPACE_LABEL]: ns };
  return JSON.stringify({
    networks: [],
    secrets: [],
    configs: [],
    services: [
      {
        Name: `${ns}_web`,
        Labels: L,
        TaskTemplate: {
          ContainerSpec: { Image: image, Labels: L, Command: ["sleep", "3600"], StopGracePeriod: 1e9 },
        },
        Mode: { Replicated: { Replicas: 1 } },
      },
    ],
  });
}

beforeAll(async () => {
  const g = sandbox.guest(0);
  await g.docker.swarmInit({ ListenAddr: `${g.ip}:2377`, AdvertiseAddr: g.ip });
  manager = executorOf(0);
});

describe("a failed stack apply", () => {
  it("answers with the error and the partial report: the failing service's task error and the rollback", async () => {
    const ns = "dev1_broken";
    const ok = await run(manager, {
      case: "stackApply",
      value: { namespace: ns, specsJson: stack(ns, TEST_IMAGE), prune: true, wait: true },
    });
    expect(ok.error).toBeUndefined();

    const failed = await run(manager, {
      case: "stackApply",
      value: {
        namespace: ns,
        specsJson: stack(ns, "nope:latest"),
        prune: true,
        wait: true,
        rollbackOnFailure: true,
      },
    });
    expect(failed.error?.code).toBe("DEPLOY_FAILED");
    expect(failed.error?.message).toMatch(/No such image: nope:latest/);
    expect(failed.result.case).toBe("stackApply");
    const report = failed.result.value as StackApplyResult;
    expect(report.rolledBack).toBe(true);
    expect(report.dockerWrites).toBeGreaterThan(0);
    expect(report.services.map((s) => [s.name, s.action, s.state])).toEqual([
      [`${ns}_web`, "rolled-back", "failed"],
    ]);
    expect(report.services[0]!.error).toMatch(/No such image: nope:latest/);
    const spec = (await sandbox.guest(0).docker.getService(`${ns}_web`).inspect()) as {
      Spec: { TaskTemplate: { ContainerSpec: { Image: string } } };
    };
    expect(spec.Spec.TaskTemplate.ContainerSpec.Image).toBe(TEST_IMAGE);
  });
});

describe("a followed log stream", () => {
  it("stops on cancel: CANCELLED at once, and no line after it", async () => {
    const g = sandbox.guest(0);
    await g.docker.createService({
      Name: "ticker",
      TaskTemplate: {
        ContainerSpec: {
          Image: TEST_IMAGE,
          Command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"],
          StopGracePeriod: 1e9,
        },
        Placement: { Constraints: [`node.hostname == ${g.hostname}`] },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const lines: string[] = [];
    const cmd = command({ case: "serviceLogs", value: { service: "ticker", follow: true } }, 120_000);
    const answer = manager.execute(cmd, (p) => {
      if (p.log?.text) lines.push(p.log.text);
    });
    const until = Date.now() + 60_000;
    while (lines.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const cancelled = Date.now();
    expect(manager.cancel(cmd.id, "the caller cancelled")).toBe(true);
    const r = await answer;
    // Long before the command's deadline (120 s) and the stream's own end (never).
    expect(Date.now() - cancelled).toBeLessThan(10_000);
    expect(r.error).toMatchObject({ code: "CANCELLED", message: "cancelled: the caller cancelled" });
    const seen = lines.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(lines.length).toBe(seen);
  });
});

describe("node remove", () => {
  let workerId = "";

  /** Joins guest 1 to guest 0's swarm as a worker and returns its node id. */
  async function joinWorker(): Promise<string> {
    const [m, w] = [sandbox.guest(0), sandbox.guest(1)];
    const swarm = (await m.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    await w.docker.swarmJoin({
      JoinToken: swarm.JoinTokens.Worker,
      RemoteAddrs: [`${m.ip}:2377`],
      ListenAddr: `${w.ip}:2377`,
      AdvertiseAddr: w.ip,
    });
    const info = (await w.docker.info()) as { Swarm: { NodeID: string } };
    return info.Swarm.NodeID;
  }
  const nodeIds = async () => (await sandbox.guest(0).docker.listNodes()).map((x) => x.ID);

  beforeAll(async () => {
    workerId = await joinWorker();
  });

  it("is refused on a worker: only a manager removes nodes", async () => {
    const r = await run(executorOf(1), { case: "nodeRemove", value: { nodeId: workerId } });
    expect(r.error?.code).toBe("NO_MANAGER");
  });

  it("refuses a node that is not down, and removes nothing", async () => {
    const r = await run(manager, { case: "nodeRemove", value: { nodeId: workerId } });
    expect(r.error?.code).toBe("CONFLICT");
    expect(r.error?.message).toMatch(/is ready, not down/);
    expect(r.error?.message).toContain(sandbox.guest(1).hostname);
    expect(await nodeIds()).toContain(workerId);
  });

  it("removes the node of a guest that left, once it shows down; again answers already", async () => {
    await sandbox.guest(1).docker.swarmLeave({});
    const started = Date.now();
    const r = await run(manager, {
      case: "nodeRemove",
      value: { nodeId: workerId, waitDown: durationFromMs(60_000) },
    });
    console.log(`node remove: down and removed ${Date.now() - started} ms after the guest left`);
    expect(r.error).toBeUndefined();
    expect(r.result.value).toMatchObject({ already: false, hostname: sandbox.guest(1).hostname });
    expect(await nodeIds()).not.toContain(workerId);
    const again = await run(manager, { case: "nodeRemove", value: { nodeId: workerId } });
    expect(again.result.value).toMatchObject({ already: true, hostname: "" });
    const never = await run(manager, { case: "nodeRemove", value: { nodeId: "nosuchnode0000000000000000" } });
    expect(never.result.value).toMatchObject({ already: true });
  });

  it("removes a node that is not down when forced", async () => {
    const id = await joinWorker();
    const r = await run(manager, { case: "nodeRemove", value: { nodeId: id, force: true } });
    expect(r.error).toBeUndefined();
    expect(r.result.value).toMatchObject({ already: false });
    expect(await nodeIds()).not.toContain(id);
  });
});
