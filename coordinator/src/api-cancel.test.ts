import { ErrorCode } from "@phoenix/errors";
import { DockerStatus, SwarmLocalState } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestCoordinator, TEST_TOKENS, type TestCoordinator, writeModel } from "./test-support/lab";
import { type ScriptedAgent, startScriptedAgent } from "./test-support/scripted-agent";

// The API over real gRPC, a scripted manager's agent behind it: what reaches the agent when the API
// caller of a streamed command goes away.
let lab: TestCoordinator;
let manager: ScriptedAgent;

beforeAll(async () => {
  lab = await startTestCoordinator({
    modelDir: writeModel({
      "etc/phoenix_cluster.json": { name: "cancel", environments: ["dev1"] },
      "etc/phoenix_vm_configs.json": { vms: [{ vmid: 401, name: "alpha", swarm_role: "manager" }] },
    }),
    host: "127.0.0.1",
    autoReconcile: false,
  });
  manager = startScriptedAgent(lab.agentAddress, {
    agentId: "id-alpha",
    token: TEST_TOKENS.enrollment,
    inventory: {
      host: { hostname: "alpha", vmid: 401 },
      docker: { status: DockerStatus.OK, swarmState: SwarmLocalState.ACTIVE, manager: true, nodeId: "n1" },
    },
    handle: (cmd, self) => {
      if (cmd.kind.case !== "serviceLogs") return undefined;
      // A followed stream: a line every 20 ms until the coordinator says stop.
      return new Promise((resolve) => {
        let n = 0;
        const tick = setInterval(() => {
          if (self.cancels.some((c) => c.commandId === cmd.id)) {
            clearInterval(tick);
            resolve({ error: { code: "CANCELLED", message: "cancelled: the caller cancelled" } });
            return;
          }
          self.send({
            case: "commandProgress",
            value: { commandId: cmd.id, log: { taskId: "t1", stream: "stdout", text: `line-${++n}` } },
          });
        }, 20);
      });
    },
  });
  await manager.welcome;
});

afterAll(async () => {
  manager?.close();
  await lab?.stop();
});

describe("a streamed API call whose caller goes away", () => {
  it("followed service logs: the agent is told to stop the command", async () => {
    const ac = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const res of lab
        .client()
        .serviceLogs({ service: "web", follow: true }, { signal: ac.signal })) {
        got.push(res.line?.text ?? "");
        if (got.length === 3) ac.abort();
      }
    })().catch((e: { code?: string }) => e.code);
    expect(await reading).toBe(ErrorCode.CANCELLED);
    expect(got).toEqual(["line-1", "line-2", "line-3"]);
    const cmd = manager.commands.find((c) => c.kind.case === "serviceLogs")!;
    await vi.waitFor(() => expect(manager.cancels.map((c) => c.commandId)).toEqual([cmd.id]));
    await vi.waitFor(() => expect(lab.coordinator.registry.stats().pending).toBe(0));
  });
});
