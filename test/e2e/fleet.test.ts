import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { EventJson } from "@phoenix/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_LAB_GUESTS, LATE_GUEST } from "../lab/example-guests";
import { useLab } from "../lab/use-lab";
import type { Guest } from "../sandbox/guest";
import {
  docker,
  dockerEvents,
  httpFromTask,
  networkNames,
  resolveFromTask,
  runningTasks,
  type SwarmNode,
  swarmNodes,
  swarmServices,
} from "./docker-cli";
import { collectEvents, type EventLog } from "./event-log";

// The whole loop on the sandbox: the example model, nats-server, the coordinator bundle and an agent
// bundle per guest, driven through the phoenix CLI bundle and checked from outside with the docker
// CLI of each guest and a NATS subscriber of the test's own. One lab serves every scenario, in an
// order where each starts from what the one before left: a fresh fleet (a), converged (b, e), two
// environments of one stack (c), a cut link (g), a guest booted late (d), a coordinator crash (f).

const HEARTBEAT_MS = 1_000;
const TTL_MS = 3 * HEARTBEAT_MS;
const GRACE_MS = 2_000;

const lab = useLab({
  name: `e2e-${randomBytes(2).toString("hex")}`,
  guests: [...EXAMPLE_LAB_GUESTS],
  heartbeatInterval: `${HEARTBEAT_MS}ms`,
  heartbeatGrace: `${GRACE_MS}ms`,
});
let events: EventLog;

beforeAll(async () => {
  events = collectEvents(lab.natsUrl, "phoenix.thinkheads.>");
  await events.ready;
});
afterAll(async () => {
  await events?.close();
});

const manager = () => lab.guest("portainer");

async function phoenixOk(args: string[]): Promise<string> {
  const r = await lab.phoenix(args);
  expect(r.code, `phoenix ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Waits, polling every `everyMs`, until `probe` returns a value; fails naming `what` after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Versions of every node and service plus the networks: any Docker write changes one of them. */
async function swarmSnapshot() {
  const nodes = await swarmNodes(manager());
  const services = await swarmServices(manager());
  return {
    nodes: Object.fromEntries(
      [...nodes].map(([h, n]) => [h, { version: n.Version.Index, labels: n.Spec.Labels }]),
    ),
    services: Object.fromEntries([...services].map(([name, s]) => [name, s.Version.Index])),
    networks: (await networkNames(manager())).sort(),
  };
}

/** Every Docker event on every guest between two moments: none means nothing was written. */
async function dockerEventsEverywhere(sinceMs: number, untilMs: number): Promise<Record<string, object[]>> {
  const out: Record<string, object[]> = {};
  for (const g of lab.guests) {
    const found = await dockerEvents(g, sinceMs, untilMs);
    if (found.length > 0) out[g.name] = found;
  }
  return out;
}

async function nodesJson(): Promise<{ name: string; online?: boolean; labels?: Record<string, string> }[]> {
  return (JSON.parse(await phoenixOk(["nodes", "--json"])) as { nodes: never[] }).nodes;
}

const SHARED_LABELS = { "phoenix.cpu.arch": process.arch === "arm64" ? "arm64" : "amd64" };

/** Labels each guest must carry: its model node_labels, guest facts, stack pins, and the GPU's facts. */
const EXPECTED_LABELS: Record<string, Record<string, string>> = {
  portainer: {
    zone: "rack1",
    ingress: "true",
    "phoenix.guest.vmid": "1001",
    "phoenix.guest.kind": "vm",
    "phoenix.stack.traefik": "true",
    "phoenix.stack.portainer": "true",
  },
  drphoenix: {
    zone: "rack1",
    vector: "true",
    "phoenix.guest.vmid": "1002",
    "phoenix.guest.kind": "vm",
    "phoenix.stack.qdrant_service": "true",
    "phoenix.stack.portainer": "true",
  },
  // The simulated GPU prints a real Tesla T4 capture: 15360 MiB, driver 515.105.01, CUDA 11.7, Turing.
  vllmqwen: {
    zone: "rack2",
    gpu: "true",
    "phoenix.guest.vmid": "950",
    "phoenix.guest.kind": "lxc",
    "phoenix.stack.thinkheads_ai_app": "true",
    "phoenix.stack.portainer": "true",
    "phoenix.gpu.present": "true",
    "phoenix.gpu.count": "1",
    "phoenix.gpu.product": "Tesla-T4",
    "phoenix.gpu.memory": "15360",
    "phoenix.gpu.family": "turing",
    "phoenix.cuda.driver-version.full": "515.105.01",
    "phoenix.cuda.runtime-version.full": "11.7",
    "phoenix.mig.capable": "false",
  },
};

/** Where the example model's services must run (README of deploy/examples/model), one entry per task. */
const PLACEMENT: Record<string, string[]> = {
  production_traefik_traefik: ["portainer"],
  production_portainer_portainer: ["portainer"],
  production_portainer_agent: ["drphoenix", "portainer", "vllmqwen"],
  dev1_qdrant_service_qdrant: ["drphoenix"],
  test_qdrant_service_qdrant: ["drphoenix"],
  production_qdrant_service_qdrant: ["drphoenix"],
  dev1_thinkheads_ai_app_app: ["vllmqwen"],
  dev1_thinkheads_ai_app_inference: ["vllmqwen"],
  test_thinkheads_ai_app_app: ["vllmqwen"],
  test_thinkheads_ai_app_inference: ["vllmqwen"],
  production_thinkheads_ai_app_app: ["vllmqwen", "vllmqwen"],
  production_thinkheads_ai_app_inference: ["vllmqwen"],
};

const isGpuLabel = (k: string) => k === "gpu" || /^phoenix\.(gpu|cuda|mig)\./.test(k);

describe("a. sync all on fresh guests", () => {
  let mark = 0;

  it("runs every step of the plan", async () => {
    mark = events.mark();
    const out = await phoenixOk(["sync", "all"]);
    const done = /Sync done: (\d+)\/(\d+) step\(s\)/.exec(out);
    expect(done, out).not.toBeNull();
    expect(done![1]).toBe(done![2]);
    expect(Number(done![2])).toBeGreaterThan(10);
  });

  it("forms the swarm the model describes: portainer the one manager, the others workers", async () => {
    const nodes = await swarmNodes(manager());
    expect([...nodes.keys()].sort()).toEqual(["drphoenix", "portainer", "vllmqwen"]);
    const role = (h: string) => nodes.get(h)!.Spec.Role;
    expect([role("portainer"), role("drphoenix"), role("vllmqwen")]).toEqual(["manager", "worker", "worker"]);
    expect(nodes.get("portainer")!.ManagerStatus?.Leader).toBe(true);
    for (const n of nodes.values())
      expect([n.Status.State, n.Spec.Availability]).toEqual(["ready", "active"]);
    // Every worker sees itself in the same swarm.
    for (const h of ["drphoenix", "vllmqwen"]) {
      const info = JSON.parse((await docker(lab.guest(h), ["info", "--format", "{{json .Swarm}}"])).stdout);
      expect(info.LocalNodeState).toBe("active");
      expect(info.NodeID).toBe(nodes.get(h)!.ID);
    }
  });

  it("labels every node: hardware, GPU (only on the GPU guest), model node_labels and stack pins", async () => {
    const nodes = await swarmNodes(manager());
    for (const [host, expected] of Object.entries(EXPECTED_LABELS)) {
      const labels = nodes.get(host)!.Spec.Labels ?? {};
      expect(labels, host).toMatchObject({ ...SHARED_LABELS, ...expected });
      const cores = Number(labels["phoenix.cpu.cores"]);
      expect(Number.isInteger(cores) && cores >= 1 && cores <= cpus().length, `${host} cores ${cores}`).toBe(
        true,
      );
      expect(labels["phoenix.memory.gib"], host).toBe(String(Math.round(totalmem() / 2 ** 30)));
      const gpuKeys = Object.keys(labels).filter(isGpuLabel);
      if (expected.gpu) expect(gpuKeys.length, host).toBeGreaterThan(5);
      else expect(gpuKeys, host).toEqual([]);
    }
  });

  it("deploys every stack where its constraints say", async () => {
    const services = await swarmServices(manager());
    expect([...services.keys()].sort()).toEqual(Object.keys(PLACEMENT).sort());
    for (const [service, where] of Object.entries(PLACEMENT)) {
      const tasks = await until(
        `${service} runs ${where.length} task(s)`,
        async () => {
          const t = await runningTasks(manager(), service);
          return t.length === where.length ? t : undefined;
        },
        30_000,
      );
      expect(tasks.map((t) => t.node).sort(), service).toEqual(where);
    }
    // Every environment has its own network, and each service joined its environment's.
    const networks = await networkNames(manager());
    for (const env of ["dev1", "test", "production"]) expect(networks).toContain(`phoenix_env_${env}`);
    for (const [name, s] of services) {
      const env = name.split("_")[0]!;
      const attached = new Set((s.Spec.TaskTemplate.Networks ?? []).map((n) => n.Target));
      const ids = JSON.parse(
        (await docker(manager(), ["network", "inspect", "--format", "{{json .ID}}", `phoenix_env_${env}`]))
          .stdout,
      );
      expect(attached.has(ids) || attached.has(`phoenix_env_${env}`), `${name} on phoenix_env_${env}`).toBe(
        true,
      );
    }
  });

  it("runs services that bind-mount the Docker socket against their own guest's Docker", async () => {
    const [traefik] = await runningTasks(manager(), "production_traefik_traefik");
    const r = await docker(manager(), [
      "exec",
      traefik!.containerId,
      "sh",
      "-c",
      "test -S /var/run/docker.sock && echo socket",
    ]);
    expect(r.stdout.trim()).toBe("socket");
  });

  it("published each change on NATS for the test's own subscriber", async () => {
    await events.waitFor(mark, "sync.finished");
    const types = events.after(mark).map((e) => e.type);
    expect(types[0]).toBe("sync.started");
    expect(types.filter((t) => t === "swarm.initialized")).toHaveLength(1);
    expect(
      events
        .after(mark, "node.joined")
        .map((e) => e.subject)
        .sort(),
    ).toEqual(["drphoenix", "vllmqwen"]);
    expect(new Set(events.after(mark, "node.labels_changed").map((e) => e.subject))).toEqual(
      new Set(["portainer", "drphoenix", "vllmqwen"]),
    );
    expect(
      events
        .after(mark, "stack.deployed")
        .map((e) => e.subject)
        .sort(),
    ).toEqual([
      "dev1_qdrant_service",
      "dev1_thinkheads_ai_app",
      "production_portainer",
      "production_qdrant_service",
      "production_thinkheads_ai_app",
      "production_traefik",
      "test_qdrant_service",
      "test_thinkheads_ai_app",
    ]);
    const finished = events.after(mark, "sync.finished")[0]!;
    expect((finished.syncFinished as { ok?: boolean }).ok).toBe(true);
  });
});

describe("b. a second sync", () => {
  it("plans nothing and writes nothing to Docker", async () => {
    const before = await swarmSnapshot();
    const mark = events.mark();
    const t0 = Date.now();
    const plan = JSON.parse(await phoenixOk(["plan", "--json"])) as { steps?: unknown[] };
    expect(plan.steps ?? []).toEqual([]);
    // The swarm runs what each deployment's files say, also by a deploy's own comparison.
    expect(await phoenixOk(["swarm", "deploy", "thinkheads_ai_app", "--env", "production", "--plan"])).toBe(
      "Nothing to deploy: the swarm runs production_thinkheads_ai_app as its files say.\n",
    );
    const lines = (await phoenixOk(["sync", "all", "--json"]))
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, { steps?: unknown[]; ok?: boolean; stepsTotal?: number }>);
    expect(lines.filter((l) => "step" in l)).toEqual([]);
    expect(lines[0]?.plan?.steps ?? []).toEqual([]);
    const summary = lines.at(-1)?.summary;
    expect(summary?.ok).toBe(true);
    expect(summary?.stepsTotal ?? 0).toBe(0);
    await events.waitFor(mark, "sync.finished");
    const t1 = Date.now();
    expect(await dockerEventsEverywhere(t0, t1)).toEqual({});
    expect(await swarmSnapshot()).toEqual(before);
    expect(events.after(mark).map((e) => e.type)).toEqual(["sync.started", "sync.finished"]);
  });
});

describe("e. a bad model", () => {
  const BROKEN: { file: string; path: string; edit: (json: Record<string, unknown>) => void }[] = [
    {
      file: "etc/phoenix_cluster.json",
      path: "$.environments[3]",
      edit: (j) => (j.environments as string[]).push("Not A Name"),
    },
    {
      file: "etc/phoenix_vm_configs.json",
      path: "$.vms[1].vmid",
      edit: (j) => {
        (j.vms as { vmid: number }[])[1]!.vmid = 1001;
      },
    },
    {
      file: "etc/phoenix_lxc_configs.json",
      path: '$.lxc_configs["950"].node_labels[1]',
      edit: (j) => {
        (j.lxc_configs as Record<string, { node_labels: string[] }>)["950"]!.node_labels.push("not a label");
      },
    },
    {
      file: "stacks/qdrant_service/phoenix.json",
      path: "$.environments.production.services.qdrant.placement_constraints[0]",
      edit: (j) => {
        const env = (j.environments as Record<string, { services: Record<string, Record<string, unknown>> }>)
          .production!;
        env.services.qdrant!.placement_constraints = ["node.labels.zone === rack1"];
      },
    },
  ];

  it("is refused with every error (file and JSON path), exit 2, and nothing changes", async () => {
    const saved = mkdtempSync(join(tmpdir(), "phoenix-e2e-model-"));
    cpSync(lab.modelDir, saved, { recursive: true });
    try {
      for (const b of BROKEN) {
        const path = join(lab.modelDir, b.file);
        const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
        b.edit(json);
        writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
      }
      const before = await swarmSnapshot();
      const mark = events.mark();
      const t0 = Date.now();
      for (const args of [["plan"], ["sync", "all"]]) {
        const r = await lab.phoenix(args);
        expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(`${BROKEN.length} problems`);
        for (const b of BROKEN) expect(r.stderr).toContain(`${b.file} at ${b.path}:`);
        expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // one clear message, no stack trace
      }
      const t1 = Date.now();
      expect(await dockerEventsEverywhere(t0, t1)).toEqual({});
      expect(await swarmSnapshot()).toEqual(before);
      expect(events.after(mark, "sync.started")).toEqual([]);
    } finally {
      rmSync(lab.modelDir, { recursive: true, force: true });
      cpSync(saved, lab.modelDir, { recursive: true });
      rmSync(saved, { recursive: true, force: true });
    }
    expect(await phoenixOk(["plan"])).toContain("Nothing to do");
  });
});

describe("c. one stack in two environments", () => {
  const reach = async (from: { node: string; containerId: string }, host: string) =>
    httpFromTask(lab.guest(from.node), from.containerId, host, 6333);

  it("deploys qdrant_service to dev1 and to test", async () => {
    for (const env of ["dev1", "test"]) {
      await phoenixOk(["swarm", "deploy", "qdrant_service", "--env", env]);
      const [task] = await runningTasks(manager(), `${env}_qdrant_service_qdrant`);
      expect(task?.node).toBe("drphoenix");
      expect(Object.keys(task!.addresses)).toContain(`phoenix_env_${env}`);
    }
  });

  it("isolates them: each environment's tasks reach their own qdrant and not the other's", async () => {
    for (const [env, other] of [
      ["dev1", "test"],
      ["test", "dev1"],
    ] as const) {
      const [app] = await runningTasks(manager(), `${env}_thinkheads_ai_app_app`);
      const [own] = await runningTasks(manager(), `${env}_qdrant_service_qdrant`);
      const [theirs] = await runningTasks(manager(), `${other}_qdrant_service_qdrant`);
      // By its dnsrr name, from another node: the answer comes from this environment's task.
      const body = await reach(app!, `${env}_qdrant_service_qdrant`);
      expect(body, `${env} app -> ${env} qdrant`).toContain(`on ${own!.containerId.slice(0, 12)}`);
      expect(await reach(app!, own!.addresses[`phoenix_env_${env}`]!)).toContain("stand-in for qdrant");
      // The other environment's task is neither resolvable nor routable.
      expect(Object.keys(own!.addresses)).not.toContain(`phoenix_env_${other}`);
      expect(
        await reach(app!, `${other}_qdrant_service_qdrant`),
        `${env} app -> ${other} name`,
      ).toBeUndefined();
      expect(
        await reach(app!, theirs!.addresses[`phoenix_env_${other}`]!),
        `${env} app -> ${other} IP`,
      ).toBeUndefined();
    }
  });

  it("gives two stacks of one environment that share a service name each their own", async () => {
    // "production" sorts after "phoenix_env_", so a task looks a name up on the environment network
    // first: a short name there would be both stacks' (each `db` answering for the other).
    const stacks = ["shop_a", "shop_b"];
    const standin = "qdrant/qdrant:v1.12.0"; // any image the lab has on every guest
    for (const stack of stacks) {
      const dir = join(lab.modelDir, "stacks", stack);
      mkdirSync(dir, { recursive: true });
      const service = `    image: ${standin}\n    deploy:\n      endpoint_mode: dnsrr\n`;
      writeFileSync(join(dir, "docker-compose.yml"), `services:\n  db:\n${service}  client:\n${service}`);
      writeFileSync(join(dir, "phoenix.json"), `${JSON.stringify({ environments: { production: {} } })}\n`);
    }
    try {
      for (const stack of stacks) await phoenixOk(["swarm", "deploy", stack, "--env", "production"]);
      for (const [stack, other] of [stacks, [...stacks].reverse()] as [string, string][]) {
        const [client] = await runningTasks(manager(), `production_${stack}_client`);
        const [own] = await runningTasks(manager(), `production_${stack}_db`);
        const [theirs] = await runningTasks(manager(), `production_${other}_db`);
        const resolve = (name: string) => resolveFromTask(lab.guest(client!.node), client!.containerId, name);
        expect(await resolve("db"), `${stack} client -> db`).toEqual([
          own!.addresses[`production_${stack}_default`],
        ]);
        expect(await resolve(`db.${other}`), `${stack} client -> db.${other}`).toEqual([
          theirs!.addresses.phoenix_env_production,
        ]);
        expect(await resolve(`db.${stack}`)).toEqual([own!.addresses.phoenix_env_production]);
        expect(await resolve(`production_${other}_db`)).toEqual([theirs!.addresses.phoenix_env_production]);
      }
    } finally {
      for (const stack of stacks) {
        await lab.phoenix(["swarm", "rm", stack, "--env", "production"]);
        rmSync(join(lab.modelDir, "stacks", stack), { recursive: true, force: true });
      }
    }
  });

  it("swarm rm of test removes test's stack and leaves dev1 running untouched", async () => {
    const dev1 = (await swarmServices(manager())).get("dev1_qdrant_service_qdrant")!;
    const [dev1Task] = await runningTasks(manager(), "dev1_qdrant_service_qdrant");
    const mark = events.mark();
    const t0 = Date.now();
    await phoenixOk(["swarm", "rm", "qdrant_service", "--env", "test"]);
    // The same check that finds no write in (b) and (e) sees this one.
    expect(Object.keys(await dockerEventsEverywhere(t0, Date.now()))).toContain("portainer");
    const services = await swarmServices(manager());
    expect([...services.keys()].filter((n) => n.startsWith("test_qdrant_service"))).toEqual([]);
    expect(await networkNames(manager())).not.toContain("test_qdrant_service_default");
    expect(services.get("dev1_qdrant_service_qdrant")?.Version.Index).toBe(dev1.Version.Index);
    const [after] = await runningTasks(manager(), "dev1_qdrant_service_qdrant");
    expect(after?.id).toBe(dev1Task!.id);
    const [app] = await runningTasks(manager(), "dev1_thinkheads_ai_app_app");
    expect(await reach(app!, "dev1_qdrant_service_qdrant")).toContain(
      `on ${dev1Task!.containerId.slice(0, 12)}`,
    );
    const removed = await events.waitFor(mark, "stack.removed");
    expect(removed.subject).toBe("test_qdrant_service");
    const stacks = await phoenixOk(["stacks", "ls"]);
    expect(stacks).toMatch(/dev1_qdrant_service\s/);
    expect(stacks).not.toMatch(/test_qdrant_service\s/);
  });
});

describe("g. a guest's link cut", () => {
  it("is offline within the grace period with an agent.offline event, and back online when restored", async () => {
    const guest = lab.guest("drphoenix");
    const agentBefore = lab.state().agents.drphoenix!.proc;
    const mark = events.mark();
    await guest.linkDown();
    const cut = Date.now();
    let offlineAt: number;
    try {
      // The coordinator's own clock says when: at most TTL + grace after the last heartbeat, which
      // came before the cut. Slack: its expiry check runs every 250 ms here, and a loaded 2-core machine
      // delays timers by hundreds of ms more; a missed expiry would take the 15 s of the wait below.
      const offline = await events.waitFor(mark, "agent.offline", (e) => e.subject === "drphoenix", 15_000);
      offlineAt = Date.parse(offline.time) - cut;
      expect(offlineAt).toBeLessThanOrEqual(TTL_MS + GRACE_MS + 2_000);
      const row = (await phoenixOk(["nodes"])).split("\n").find((l) => l.startsWith("drphoenix "));
      expect(row).toMatch(/\boffline\b/);
      expect((await nodesJson()).find((n) => n.name === "drphoenix")?.online ?? false).toBe(false);
    } finally {
      await guest.linkUp();
    }
    const restored = Date.now();
    await until(
      "phoenix nodes shows drphoenix online again",
      async () => ((await nodesJson()).find((n) => n.name === "drphoenix")?.online ? true : undefined),
      15_000,
    );
    const back = await events.waitFor(mark, "agent.connected", (e) => e.subject === "drphoenix");
    console.log(
      `g: link cut -> agent.offline after ${offlineAt} ms (TTL ${TTL_MS} + grace ${GRACE_MS} ms); ` +
        `link restored -> agent.connected after ${Date.parse(back.time) - restored} ms`,
    );
    expect(Date.parse(back.time)).toBeGreaterThanOrEqual(restored - 1_000);
    // No restart: the same agent process kept running through the cut.
    expect(lab.state().agents.drphoenix!.proc).toEqual(agentBefore);
    expect(lab.agentRunning("drphoenix")).toBe(true);
    // The swarm takes the node back too.
    await until(
      "the swarm sees drphoenix ready",
      async () =>
        (await swarmNodes(manager())).get("drphoenix")?.Status.State === "ready" ? true : undefined,
      30_000,
      500,
    );
  });
});

describe("d. a guest booted later", () => {
  it("is joined and labelled with no command run; the time from agent start to label is printed", async () => {
    const mark = events.mark();
    const guest: Guest = await lab.addGuest(LATE_GUEST, { startAgent: false });
    const started = Date.now();
    await lab.startAgent(guest.name);
    const node: SwarmNode = await until(
      "dockerlxc labelled phoenix.gpu.present=true in docker node inspect",
      async () => {
        const n = (await swarmNodes(manager())).get("dockerlxc");
        return n?.Spec.Labels?.["phoenix.gpu.present"] === "true" ? n : undefined;
      },
      60_000,
      100,
    );
    const ms = Date.now() - started;
    console.log(
      `d: label-on-boot latency: ${ms} ms from agent start to phoenix.gpu.present=true on dockerlxc`,
    );
    expect(node.Spec.Role).toBe("worker");
    // A real A100 capture with MIG enabled; the model gives dockerlxc zone=rack2 and pins portainer there.
    expect(node.Spec.Labels).toMatchObject({
      gpu: "true",
      zone: "rack2",
      "phoenix.gpu.product": "NVIDIA-A100-SXM4-80GB",
      "phoenix.mig.capable": "true",
      "phoenix.guest.vmid": "960",
      "phoenix.guest.kind": "lxc",
      "phoenix.stack.portainer": "true",
    });
    expect(ms).toBeLessThan(30_000);
    await events.waitFor(mark, "node.joined", (e) => e.subject === "dockerlxc");
    await events.waitFor(mark, "node.labels_changed", (e) => e.subject === "dockerlxc");
    expect(events.after(mark, "sync.started")).toEqual([]);
    // The global Portainer agent follows the pin label onto the new node.
    await until(
      "production_portainer_agent runs on dockerlxc",
      async () =>
        (await runningTasks(manager(), "production_portainer_agent")).some((t) => t.node === "dockerlxc")
          ? true
          : undefined,
      30_000,
      500,
    );
  });
});

describe("f. the coordinator killed mid-sync", () => {
  it("comes back with nothing lost; the agents reconnect by themselves; the next sync converges", async () => {
    // Work for the sync: test_qdrant_service is pinned in the model but was removed in (c), and a
    // model label is taken away behind Phoenix's back.
    await docker(manager(), ["node", "update", "--label-rm", "zone", "drphoenix"]);
    const plan = await phoenixOk(["plan"]);
    expect(plan).toMatch(/deploy stack qdrant_service in test/);
    const stacksBefore = JSON.parse(await phoenixOk(["stacks", "ls", "--json"])) as {
      stacks: { namespace: string; deployedAt: string; status: string }[];
    };
    const agentsBefore = Object.fromEntries(Object.entries(lab.state().agents).map(([g, a]) => [g, a.proc]));
    const history = async () => (await phoenixOk(["events", "--since", "1", "--json"])).trim().split("\n");
    const eventsBefore = await history();

    let kill: Promise<void> | undefined;
    const mark = events.mark();
    const sync = await lab.phoenix(["sync", "all"], {
      onLine: (line) => {
        // The first step has started: the coordinator crashes in the middle of the sync.
        if (!kill && line.startsWith("→")) kill = lab.stopCoordinator("SIGKILL");
      },
    });
    expect(kill, sync.stdout).toBeDefined();
    await kill;
    expect(lab.coordinatorRunning()).toBe(false);
    expect(sync.code, sync.stdout + sync.stderr).not.toBe(0);
    expect(sync.stdout).not.toContain("Sync done");

    await lab.startCoordinator();
    const agents = Object.keys(agentsBefore);
    await lab.waitForAgents(agents, 30_000);
    for (const g of agents) {
      expect(lab.state().agents[g]!.proc, `agent on ${g} not restarted`).toEqual(agentsBefore[g]);
      await events.waitFor(mark, "agent.connected", (e: EventJson) => e.subject === g);
    }
    // Nothing lost: every deployment record and the event history survived the crash.
    const stacksAfter = JSON.parse(await phoenixOk(["stacks", "ls", "--json"])) as typeof stacksBefore;
    for (const s of stacksBefore.stacks) {
      expect(
        stacksAfter.stacks.find((a) => a.namespace === s.namespace),
        s.namespace,
      ).toMatchObject(s);
    }
    const eventsAfter = await history();
    expect(eventsAfter.slice(0, eventsBefore.length)).toEqual(eventsBefore);
    expect(eventsAfter.length).toBeGreaterThan(eventsBefore.length);
    expect(JSON.parse(eventsAfter[0]!).seq).toBe("1");

    const out = await phoenixOk(["sync", "all"]);
    expect(out).toMatch(/Sync done|Nothing to do/);
    expect(await phoenixOk(["plan"])).toContain("Nothing to do");
    const [task] = await runningTasks(manager(), "test_qdrant_service_qdrant");
    expect(task?.node).toBe("drphoenix");
    expect((await swarmNodes(manager())).get("drphoenix")?.Spec.Labels?.zone).toBe("rack1");
  });
});
