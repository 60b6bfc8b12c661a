import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { StepStatus, type SyncResponse } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_IMAGE, useSandbox } from "../../test/sandbox";
import {
  startAgentIn,
  startTestCoordinator,
  type TestCoordinator,
  waitFor,
  writeModel,
} from "./test-support/lab";

const sandbox = useSandbox({ name: "coord-sync", guests: 3 });

const MODEL = {
  "etc/phoenix_cluster.json": {
    name: "lab",
    swarm: { managers: "auto", adopt: "none" },
    environments: ["dev1"],
  },
  "etc/phoenix_vm_configs.json": {
    vms: [
      { vmid: 101, name: "guest-1", swarm_role: "manager", node_labels: ["zone=rack1"] },
      {
        vmid: 102,
        name: "guest-2",
        swarm_role: "worker",
        node_labels: ["zone=rack2"],
        docker_stacks: ["web"],
      },
    ],
  },
  "etc/phoenix_lxc_configs.json": {
    lxc_configs: { "103": { name: "guest-3", swarm_role: "worker", node_labels: ["zone=rack2"] } },
  },
  "stacks/web/docker-compose.yml": `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    deploy:\n      replicas: 1\n      endpoint_mode: dnsrr\n`,
  "stacks/web/phoenix.json": {
    description: "test web",
    environments: { dev1: { services: { web: { replicas: 1 } } } },
  },
};

let lab: TestCoordinator;
let modelDir: string;
let nats: NatsConnection;
const seen: string[] = [];

async function drain(stream: AsyncIterable<SyncResponse>): Promise<SyncResponse[]> {
  const out: SyncResponse[] = [];
  for await (const msg of stream) out.push(msg);
  return out;
}

beforeAll(async () => {
  modelDir = writeModel(MODEL);
  nats = await connect({ servers: sandbox.natsLocalUrl });
  const sub = nats.subscribe("phoenix.lab.>");
  void (async () => {
    for await (const m of sub) seen.push(m.subject);
  })();
  lab = await startTestCoordinator({ modelDir, host: sandbox.bridgeIp, natsUrl: sandbox.natsLocalUrl });
  const vmids = [101, 102, 103];
  for (const [i, guest] of sandbox.guests.entries()) {
    await startAgentIn(guest, {
      coordinator: lab.agentAddress,
      tokenFile: lab.enrollmentTokenFile,
      vmid: vmids[i]!,
      ...(guest.name === "guest-3" ? { gpuCapture: "tesla-t4-passthrough-515.xml" } : {}),
    });
  }
  await waitFor("3 agents online", () => lab.coordinator.registry.stats().online === 3);
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  await nats?.close();
});

describe("sync on fresh guests", () => {
  it("plans init, joins, labels and the pinned stack", async () => {
    const plan = await lab.client().plan({});
    const kinds = plan.steps.map((s) => s.kind);
    expect(kinds[0]).toBe("swarm.init");
    expect(plan.steps[0]!.target).toBe("guest-1");
    expect(kinds.filter((k) => k === "swarm.join")).toHaveLength(2);
    expect(kinds).toContain("node.labels");
    expect(kinds.at(-1)).toBe("stack.deploy");
  });

  it("forms the swarm with the model's roles and labels, and a second sync plans nothing", async () => {
    const first = await drain(lab.client().sync({}));
    const summary = first.at(-1)?.msg;
    const failed = first.filter((m) => m.msg.case === "step" && m.msg.value.status === StepStatus.FAILED);
    expect(failed.map((m) => (m.msg.case === "step" ? m.msg.value.message : ""))).toEqual([]);
    expect(summary?.case).toBe("summary");
    expect(summary?.case === "summary" && summary.value.ok).toBe(true);

    const nodes = await sandbox.guest("guest-1").docker.listNodes();
    const byHost = new Map(nodes.map((n) => [n.Description?.Hostname, n]));
    expect([...byHost.keys()].sort()).toEqual(["guest-1", "guest-2", "guest-3"]);
    expect(byHost.get("guest-1")?.Spec?.Role).toBe("manager");
    expect(byHost.get("guest-2")?.Spec?.Role).toBe("worker");
    expect(byHost.get("guest-3")?.Spec?.Role).toBe("worker");
    const labels = (h: string) => byHost.get(h)?.Spec?.Labels ?? {};
    expect(labels("guest-1")).toMatchObject({ zone: "rack1", "phoenix.guest.vmid": "101" });
    expect(labels("guest-2")).toMatchObject({ zone: "rack2", "phoenix.stack.web": "true" });
    expect(labels("guest-3")).toMatchObject({ zone: "rack2", gpu: "true", "phoenix.gpu.present": "true" });
    expect(labels("guest-3")["phoenix.gpu.product"]).toMatch(/T4/);
    expect(labels("guest-1").gpu).toBeUndefined();

    const tasks = await sandbox.guest("guest-1").docker.listTasks({ filters: { service: ["dev1_web_web"] } });
    const running = tasks.filter((t) => t.Status?.State === "running");
    expect(running).toHaveLength(1);
    expect(running[0]!.NodeID).toBe(byHost.get("guest-2")?.ID);

    const again = await lab.client().plan({});
    expect(again.steps.map((s) => s.description)).toEqual([]);
    const second = await drain(lab.client().sync({}));
    expect(second.filter((m) => m.msg.case === "step")).toEqual([]);
    const s2 = second.at(-1)?.msg;
    expect(s2?.case === "summary" && s2.value.stepsTotal).toBe(0);
  });

  it("published each change on NATS for a subscriber of its own", async () => {
    for (const subject of [
      "phoenix.lab.agent.connected",
      "phoenix.lab.swarm.initialized",
      "phoenix.lab.node.joined",
      "phoenix.lab.node.labels_changed",
      "phoenix.lab.stack.deployed",
      "phoenix.lab.sync.started",
      "phoenix.lab.sync.finished",
    ]) {
      await expect.poll(() => seen.includes(subject), { timeout: 5_000 }).toBe(true);
    }
  });

  it("refuses a bad model with every problem and changes nothing", { timeout: 30_000 }, async () => {
    const before = await sandbox.guest("guest-1").docker.listNodes();
    writeFileSync(
      join(modelDir, "etc/phoenix_vm_configs.json"),
      JSON.stringify({
        vms: [
          { vmid: 101, name: "guest-1", swarm_role: "manager", node_labels: ["not a label"] },
          { vmid: 101, name: "guest-2", swarm_role: "boss" },
        ],
      }),
    );
    for (const call of [() => lab.client().plan({}), () => drain(lab.client().sync({}))]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PhoenixError);
      const pe = err as PhoenixError;
      expect(pe.code).toBe(ErrorCode.INVALID_MODEL);
      expect(pe.details.length).toBeGreaterThanOrEqual(3);
      expect(pe.details.every((d) => d.place.file === "etc/phoenix_vm_configs.json")).toBe(true);
    }
    const after = await sandbox.guest("guest-1").docker.listNodes();
    expect(after.map((n) => [n.ID, n.Version?.Index])).toEqual(before.map((n) => [n.ID, n.Version?.Index]));
    writeModel(MODEL, modelDir);
  });
});
