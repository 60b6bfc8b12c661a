import {
  type Command,
  type CommandResult,
  CommandSchema,
  create,
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
const sandbox = useSandbox({ name: "agent-exec", guests: 1, nats: false });

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
