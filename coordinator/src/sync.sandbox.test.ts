import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { StepStatus, type SyncResponse } from "@phoenix/proto";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_IMAGE, useSandbox } from "../../test/sandbox";
import {
  startAgentIn,
  startTestCoordinator,
  TEST_TOKENS,
  type TestCoordinator,
  waitFor,
  writeModel,
} from "./test-support/lab";

const sandbox = useSandbox({ name: "coord-sync", guests: 3 });

const MODEL = {
  "etc/phoenix_cluster.json": {
    name: "lab",
    swarm: { managers: "auto", adopt: "worker" },
    // qa has no stack of its own: its network exists only once a stack that joins it is deployed.
    environments: ["dev1", "edge", "qa"],
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
      { vmid: 104, name: "guest-4", swarm_role: "worker" },
    ],
  },
  "etc/phoenix_lxc_configs.json": {
    lxc_configs: { "103": { name: "guest-3", swarm_role: "worker", node_labels: ["zone=rack2"] } },
  },
  "stacks/web/docker-compose.yml": `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", "echo hello-from-web; exec sleep 3600"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 1\n      endpoint_mode: dnsrr\n`,
  "stacks/web/phoenix.json": {
    description: "test web",
    environments: { dev1: { services: { web: { replicas: 1 } } } },
  },
  "stacks/api/docker-compose.yml": `services:\n  api:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n      endpoint_mode: dnsrr\n`,
  "stacks/api/phoenix.json": { description: "test api", environments: { dev1: {} } },
  // An edge router of the edge environment that also joins qa's network, as Traefik joins every environment.
  "stacks/proxy/docker-compose.yml": `services:\n  proxy:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    networks: [qa]\n    deploy:\n      endpoint_mode: dnsrr\nnetworks:\n  qa:\n    external: true\n    name: phoenix_env_qa\n`,
  "stacks/proxy/phoenix.json": { description: "test edge router", environments: { edge: {} } },
};

let lab: TestCoordinator;
let modelDir: string;
let nats: NatsConnection;
const seen: string[] = [];

async function drain<T = SyncResponse>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
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
  lab = await startTestCoordinator({
    modelDir,
    host: sandbox.bridgeIp,
    natsUrl: sandbox.natsLocalUrl,
    driftIntervalMs: 1_000,
  });
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
    // The two workers join side by side: each join starts before the other is done.
    const at = (id: string, status: StepStatus) =>
      first.findIndex(
        (m) => m.msg.case === "step" && m.msg.value.stepId === id && m.msg.value.status === status,
      );
    expect(at("join:guest-3", StepStatus.STARTED)).toBeLessThan(at("join:guest-2", StepStatus.DONE));
    expect(at("join:guest-2", StepStatus.STARTED)).toBeLessThan(at("join:guest-3", StepStatus.DONE));
    expect(at("join:guest-2", StepStatus.STARTED)).toBeGreaterThan(at("init-swarm:guest-1", StepStatus.DONE));

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
    try {
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
    } finally {
      // The tests after this one need the good model, whatever happened here.
      writeModel(MODEL, modelDir);
    }
  });

  it("joins and labels a guest that boots later, with no command run (label on boot)", async () => {
    const manager = sandbox.guest("guest-1").docker;
    const guest = await sandbox.addGuest({ name: "guest-4" });
    const started = Date.now();
    const agent = await startAgentIn(guest, {
      coordinator: lab.agentAddress,
      tokenFile: lab.enrollmentTokenFile,
      vmid: 104,
      gpuCapture: "dual-rtx-2080-590.xml",
    });
    await waitFor(
      "guest-4 labelled gpu=true",
      async () => (await labelsOf(manager, "guest-4"))?.gpu === "true",
      30_000,
    );
    const took = Date.now() - started;
    console.log(`label on boot: agent start to gpu label visible in ${took} ms`);
    const labels = (await labelsOf(manager, "guest-4"))!;
    expect(labels["phoenix.gpu.count"]).toBe("2");
    expect(labels["phoenix.guest.vmid"]).toBe("104");
    expect((await nodeOf(manager, "guest-4"))?.Spec?.Role).toBe("worker");

    // The GPU is gone after a reboot: its labels go, the others stay.
    agent.kill("SIGTERM");
    await waitFor(
      "guest-4's agent gone",
      () => lab.coordinator.registry.get("guest-4")?.connected === false,
      15_000,
    );
    await startAgentIn(guest, {
      coordinator: lab.agentAddress,
      tokenFile: lab.enrollmentTokenFile,
      vmid: 104,
    });
    await waitFor(
      "guest-4's GPU labels removed",
      async () => (await labelsOf(manager, "guest-4"))?.gpu === undefined,
      30_000,
    );
    const after = (await labelsOf(manager, "guest-4"))!;
    expect(Object.keys(after).filter((k) => k.startsWith("phoenix.gpu."))).toEqual([]);
    expect(after["phoenix.guest.vmid"]).toBe("104");
  });

  it("adopts a guest the model does not list, by the cluster policy, and joins it as a worker", async () => {
    const manager = sandbox.guest("guest-1").docker;
    const guest = await sandbox.addGuest({ name: "stray-5" });
    await startAgentIn(guest, { coordinator: lab.agentAddress, tokenFile: lab.enrollmentTokenFile });
    await waitFor(
      "stray-5 joined",
      async () => (await nodeOf(manager, "stray-5"))?.Status?.State === "ready",
      30_000,
    );
    expect((await nodeOf(manager, "stray-5"))?.Spec?.Role).toBe("worker");
    const node = (await lab.client().getNode({ node: "stray-5" })).node;
    expect(lab.coordinator.registry.get("guest-4")?.inModel).toBe(true);
    expect([node?.inModel, node?.online]).toEqual([false, true]);
    // The plan waits for the reconcile that is finishing (its labels) instead of showing its steps.
    const plan = await lab.client().plan({});
    expect(plan.steps.map((st) => st.id)).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it("deploys a stack environment, lists it, removes it", async () => {
    const c = lab.client();
    const manager = sandbox.guest("guest-1").docker;
    // --plan first: what the deploy would do, and nothing done.
    const preview = async () => {
      const last = (await drain(c.deployStack({ stack: "api", env: "dev1", dryRun: true }))).at(-1)!.msg;
      return last.case === "result" ? last.value.differences : last;
    };
    expect(await preview()).toEqual(["network dev1_api_default: missing", "service dev1_api_api: missing"]);
    expect((await manager.listServices()).map((sv) => sv.Spec?.Name)).toEqual(["dev1_web_web"]);
    const msgs = await drain(c.deployStack({ stack: "api", env: "dev1" }));
    const last = msgs.at(-1)!.msg;
    expect(last.case).toBe("result");
    expect(last.case === "result" && [last.value.ok, last.value.namespace]).toEqual([true, "dev1_api"]);
    const stacks = (await c.listStacks({})).stacks.map((st) => [
      st.namespace,
      st.status,
      st.running,
      st.pinned,
    ]);
    expect(stacks).toContainEqual(["dev1_api", "deployed", 2, false]);
    expect(stacks).toContainEqual(["dev1_web", "deployed", 1, true]);
    expect((await c.listServices({ namespace: "dev1_api" })).services.map((sv) => sv.name)).toEqual([
      "dev1_api_api",
    ]);
    expect(await preview()).toEqual([]);
    const removed = await c.removeStack({ stack: "api", env: "dev1" });
    expect(removed.removed).toContain("dev1_api_api");
    expect((await manager.listServices()).map((sv) => sv.Spec?.Name).sort()).toEqual(["dev1_web_web"]);
    const again = await c.removeStack({ stack: "api", env: "dev1" }).catch((e: PhoenixError) => e);
    expect((again as PhoenixError).code).toBe(ErrorCode.NOT_FOUND);
  });
  it("creates the network of another environment a stack joins while that environment has no stack", async () => {
    const c = lab.client();
    const manager = sandbox.guest("guest-1").docker;
    const environmentNetworks = async () =>
      (await manager.listNetworks({ filters: { label: ["phoenix.role=environment-network"] } }))
        .map((n) => n.Name)
        .sort();
    expect(await environmentNetworks()).not.toContain("phoenix_env_qa");
    const last = (await drain(c.deployStack({ stack: "proxy", env: "edge" }))).at(-1)!.msg;
    expect(last.case === "result" && [last.value.ok, last.value.error?.message]).toEqual([true, undefined]);
    expect(await environmentNetworks()).toEqual(
      expect.arrayContaining(["phoenix_env_edge", "phoenix_env_qa"]),
    );
    const [qa] = await manager.listNetworks({ filters: { name: ["phoenix_env_qa"] } });
    expect(qa?.Labels).toMatchObject({ "phoenix.environment": "qa", "phoenix.managed": "true" });
    const [proxy] = await manager.listServices({ filters: { name: ["edge_proxy_proxy"] } });
    const targets = (proxy?.Spec?.TaskTemplate?.Networks ?? []).map((n) => n.Target);
    expect(targets).toContain(qa?.Id);
    // Shared networks are never a stack's to remove.
    await c.removeStack({ stack: "proxy", env: "edge" });
    expect(await environmentNetworks()).toEqual(
      expect.arrayContaining(["phoenix_env_edge", "phoenix_env_qa"]),
    );
  });

  it("lists tasks, reads logs and scales a service through a manager's agent", async () => {
    const c = lab.client();
    const tasks = (await c.listTasks({ service: "dev1_web_web" })).tasks;
    expect(tasks.filter((t) => t.state === "running").map((t) => t.nodeHostname)).toEqual(["guest-2"]);
    const lines: string[] = [];
    for await (const res of c.serviceLogs({ service: "dev1_web_web", tail: 10 }))
      lines.push(res.line?.text ?? "");
    expect(lines).toContain("hello-from-web");
    const scaled = await c.scaleService({ service: "dev1_web_web", replicas: 2 });
    expect([scaled.previous, scaled.replicas]).toEqual([1, 2]);
    expect(scaled.note).toMatch(/^dev1_web_web belongs to dev1_web, which Phoenix deployed: /);
    await waitFor(
      "2 web tasks running",
      async () =>
        (await c.listTasks({ service: "dev1_web_web" })).tasks.filter((t) => t.state === "running").length ===
        2,
      30_000,
    );
    const ro = await lab
      .client(TEST_TOKENS.readOnly)
      .scaleService({ service: "dev1_web_web", replicas: 1 })
      .catch((e: PhoenixError) => e);
    expect((ro as PhoenixError).code).toBe(ErrorCode.PERMISSION_DENIED);
    // The model says 1: the plan sets it back.
    expect((await c.plan({})).steps.map((st) => st.description)).toEqual([
      "update stack web in dev1 as dev1_web (the swarm differs: service dev1_web_web: replicas changed outside Phoenix)",
    ]);
  });
  it("notices drift (a label removed by hand), says so on NATS, and the next sync repairs it", async () => {
    const manager = sandbox.guest("guest-1").docker;
    await driftFoundAfter(async () => {
      const node = (await nodeOf(manager, "guest-2"))!;
      const labels = { ...(node.Spec?.Labels ?? {}) };
      delete labels.zone;
      await manager.getNode(node.ID!).update({ version: node.Version!.Index, ...node.Spec, Labels: labels });
    });
    const plan = await lab.client().plan({});
    expect(plan.steps.map((st) => st.description)).toEqual([
      "label guest-2 (vmid 102): set zone=rack2",
      "update stack web in dev1 as dev1_web (the swarm differs: service dev1_web_web: replicas changed outside Phoenix)",
    ]);
    const out = await drain(lab.client().sync({}));
    const last = out.at(-1)?.msg;
    expect(last?.case === "summary" && [last.value.ok, last.value.stepsDone]).toEqual([true, 2]);
    expect((await labelsOf(manager, "guest-2"))?.zone).toBe("rack2");
    const web = await manager.getService("dev1_web_web").inspect();
    expect(web.Spec.Mode.Replicated.Replicas).toBe(1);
    expect((await lab.client().plan({})).steps).toEqual([]);
  });

  it("notices a stack's service removed by hand, says so on NATS, and the next sync deploys it again", async () => {
    const manager = sandbox.guest("guest-1").docker;
    await driftFoundAfter(() => manager.getService("dev1_web_web").remove());
    const status = async () =>
      (await lab.client().listStacks({})).stacks.find((st) => st.namespace === "dev1_web")?.status;
    expect(await status()).toBe("incomplete");
    const plan = await lab.client().plan({});
    expect(plan.steps.map((st) => st.description)).toEqual([
      "update stack web in dev1 as dev1_web (the swarm differs: service dev1_web_web: missing)",
    ]);
    const out = await drain(lab.client().sync({}));
    const last = out.at(-1)?.msg;
    expect(last?.case === "summary" && [last.value.ok, last.value.stepsDone]).toEqual([true, 1]);
    expect((await manager.listServices()).map((sv) => sv.Spec?.Name)).toEqual(["dev1_web_web"]);
    expect((await lab.client().plan({})).steps).toEqual([]);
    expect(await status()).toBe("deployed");
  });

  it("notices a service changed by hand with its labels kept (--env-add), and the next sync undoes it", async () => {
    const manager = sandbox.guest("guest-1").docker;
    const envOf = async () =>
      ((await manager.getService("dev1_web_web").inspect()).Spec.TaskTemplate.ContainerSpec.Env ??
        []) as string[];
    const env = await envOf();
    await driftFoundAfter(async () => {
      const svc = await manager.getService("dev1_web_web").inspect();
      const spec = structuredClone(svc.Spec);
      spec.TaskTemplate.ContainerSpec.Env = [...env, "DEBUG=1"];
      await manager.getService("dev1_web_web").update({ version: svc.Version.Index, ...spec });
    });
    expect((await lab.client().plan({})).steps.map((st) => st.description)).toEqual([
      "update stack web in dev1 as dev1_web (the swarm differs: service dev1_web_web: changed outside Phoenix in TaskTemplate.ContainerSpec.Env)",
    ]);
    const out = await drain(lab.client().sync({}));
    const last = out.at(-1)?.msg;
    expect(last?.case === "summary" && [last.value.ok, last.value.stepsDone]).toEqual([true, 1]);
    expect(await envOf()).toEqual(env);
    expect((await lab.client().plan({})).steps).toEqual([]);
  });

  it("plans nothing as soon as a change by hand is undone by hand", async () => {
    const manager = sandbox.guest("guest-1").docker;
    const scale = async (replicas: number) => {
      const svc = await manager.getService("dev1_web_web").inspect();
      await manager
        .getService("dev1_web_web")
        .update({ version: svc.Version.Index, ...svc.Spec, Mode: { Replicated: { Replicas: replicas } } });
    };
    // The drift check finds the scale; the plan after the scale is undone compares again rather
    // than starting from what that check found.
    await driftFoundAfter(() => scale(2));
    await scale(1);
    expect((await lab.client().plan({})).steps).toEqual([]);
  });
});

describe("who owns a stack environment", () => {
  const sources = () =>
    Object.fromEntries(
      Object.entries(
        (
          JSON.parse(readFileSync(join(lab.config.stateDir, "state.json"), "utf8")) as {
            environments: Record<string, { source: string }>;
          }
        ).environments,
      ).map(([ns, e]) => [ns, e.source]),
    );
  const serviceNames = async () =>
    (await sandbox.guest("guest-1").docker.listServices()).map((sv) => sv.Spec?.Name).sort();
  const summaryOf = (msgs: SyncResponse[]) => {
    const last = msgs.at(-1)?.msg;
    return last?.case === "summary" ? [last.value.ok, last.value.stepsDone, last.value.stepsTotal] : last;
  };

  it("sync removes a stack dropped from docker_stacks and keeps one an operator deployed", async () => {
    const c = lab.client();
    await drain(c.deployStack({ stack: "api", env: "dev1" }));
    expect(sources()).toEqual({ dev1_web: "model", dev1_api: "deploy" });

    // guest-2 stops pinning web: its environment goes, with the pin label; api stays.
    const vms = structuredClone(MODEL["etc/phoenix_vm_configs.json"]);
    vms.vms[1]!.docker_stacks = [];
    writeModel({ "etc/phoenix_vm_configs.json": vms }, modelDir);
    expect((await c.plan({})).steps.map((st) => st.id)).toEqual(["labels:guest-2", "remove-stack:dev1/web"]);
    expect(summaryOf(await drain(c.sync({})))).toEqual([true, 2, 2]);
    expect(await serviceNames()).toEqual(["dev1_api_api"]);
    expect(sources()).toEqual({ dev1_api: "deploy" });
    expect(
      (await labelsOf(sandbox.guest("guest-1").docker, "guest-2"))?.["phoenix.stack.web"],
    ).toBeUndefined();

    // api taken out of the model: still kept, and the plan says why.
    rmSync(join(modelDir, "stacks/api"), { recursive: true });
    const plan = await c.plan({});
    expect(plan.steps).toEqual([]);
    expect(plan.warnings).toEqual([
      "dev1_api: deployed with `phoenix swarm deploy`, but the model no longer defines stack api in dev1: it keeps running as deployed until `phoenix swarm rm api --env dev1`",
    ]);
    expect(summaryOf(await drain(c.sync({})))).toEqual([true, 0, 0]);
    expect(await serviceNames()).toEqual(["dev1_api_api"]);

    // Only `swarm rm` removes it; the model back as it was brings web back (labels, network, deploy).
    await c.removeStack({ stack: "api", env: "dev1" });
    writeModel(MODEL, modelDir);
    expect(summaryOf(await drain(c.sync({})))).toEqual([true, 3, 3]);
    expect(await serviceNames()).toEqual(["dev1_web_web"]);
    expect(sources()).toEqual({ dev1_web: "model" });
  });

  it("says when the deploys it plans would fill the environment network's subnet", async () => {
    const c = lab.client();
    const manifest = structuredClone(MODEL["stacks/web/phoenix.json"]);
    manifest.environments.dev1.services.web.replicas = 260;
    writeModel({ "stacks/web/phoenix.json": manifest }, modelDir);
    try {
      const plan = await c.plan({});
      expect(plan.steps.map((st) => st.id)).toEqual(["deploy-stack:dev1/web"]);
      // Counted as the plan would deploy it, on the one node its pin allows: Swarm's /24 holds 253,
      // on the environment network and on the stack's own.
      expect(plan.warnings).toEqual([
        expect.stringMatching(
          /^network phoenix_env_dev1: needs 261 addresses \(260 tasks, 1 node load balancer\) and its subnet 10\.\d+\.\d+\.0\/24 has 253: the tasks past that stay in state "new" and never start; give it a larger subnet in etc\/phoenix_cluster\.json environment_networks\.dev1\.subnet \(the network must then be recreated\)$/,
        ),
        expect.stringMatching(
          /^network dev1_web_default: needs 261 addresses \(260 tasks, 1 node load balancer\) and its subnet 10\.\d+\.\d+\.0\/24 has 253: .* in the stack's compose file \(networks\.default\.ipam\.config: - subnet: \.\.\.\) \(the network must then be recreated\)$/,
        ),
      ]);
    } finally {
      writeModel(MODEL, modelDir);
    }
    expect(await c.plan({})).toMatchObject({ steps: [], warnings: [] });
  });

  it("refuses a plan and a sync that would deploy a stack its compose file cannot render, and changes nothing", async () => {
    const c = lab.client();
    const labels = async () => (await labelsOf(sandbox.guest("guest-1").docker, "guest-1"))?.zone;
    const vms = structuredClone(MODEL["etc/phoenix_vm_configs.json"]);
    vms.vms[0]!.node_labels = ["zone=rack9"];
    writeModel(
      {
        // A label step, then a deploy whose compose value Docker would refuse (the model loads).
        "etc/phoenix_vm_configs.json": vms,
        "stacks/web/docker-compose.yml": MODEL["stacks/web/docker-compose.yml"].replace(
          "replicas: 1",
          "replicas: two",
        ),
      },
      modelDir,
    );
    try {
      for (const call of [() => c.plan({}), () => drain(c.sync({}))]) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(PhoenixError);
        expect((err as PhoenixError).code).toBe(ErrorCode.INVALID_MODEL);
        expect((err as PhoenixError).details.map((d) => [d.place.file, d.message])).toEqual([
          [
            "stacks/web/docker-compose.yml",
            expect.stringMatching(/services\.web\.deploy\.replicas: must be an integer/),
          ],
        ]);
      }
      expect(await labels()).toBe("rack1");
      // Status says the model is refused, rather than "converged".
      expect((await c.getStatus({})).modelError?.code).toBe(ErrorCode.INVALID_MODEL);
    } finally {
      writeModel(MODEL, modelDir);
    }
    expect((await c.plan({})).steps).toEqual([]);
  });
});

/** Runs `change` and waits for the drift.found event the coordinator's next comparison emits. */
async function driftFoundAfter(change: () => Promise<unknown>): Promise<void> {
  const before = seen.filter((x) => x === "phoenix.lab.drift.found").length;
  await change();
  await waitFor(
    "drift.found",
    () => seen.filter((x) => x === "phoenix.lab.drift.found").length > before,
    10_000,
  );
}

async function nodeOf(docker: Docker, host: string) {
  const nodes = await docker.listNodes();
  return (
    nodes.find((n) => n.Description?.Hostname === host && n.Status?.State === "ready") ??
    nodes.find((n) => n.Description?.Hostname === host)
  );
}

async function labelsOf(docker: Docker, host: string): Promise<Record<string, string> | undefined> {
  return (await nodeOf(docker, host))?.Spec?.Labels;
}
