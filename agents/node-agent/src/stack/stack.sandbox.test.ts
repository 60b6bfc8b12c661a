import { PhoenixError } from "@phoenix/errors";
import {
  create,
  durationFromMs,
  StackApplyCommandSchema,
  StackCheckCommandSchema,
  StackRemoveCommandSchema,
} from "@phoenix/proto";
import { environmentNetwork, renderStackSource } from "@phoenix/stacks";
import type Dockerode from "dockerode";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_IMAGE, useSandbox } from "../../../../test/sandbox";
import {
  applyStack,
  checkStacks,
  NAMESPACE_LABEL,
  removeStack,
  SPEC_HASH_LABEL,
  StackApplyError,
} from "./index";

// One guest is a whole swarm here: every behaviour of apply and remove shows on a single manager.
const sandbox = useSandbox({ name: "stack-apply", guests: 1, nats: false });
let docker: Dockerode;

const b64 = (text: string) => Buffer.from(text).toString("base64");
const SECOND = 1_000_000_000;

/** Hand-written specs in Engine API shape, as packages/stacks renders them for namespace `ns`. */
function stackSpecs(
  ns: string,
  opts: {
    secret?: string;
    config?: string;
    webImage?: string;
    webEnv?: string[];
    worker?: boolean;
    extra?: object[];
    /** Environment whose shared network the services join too. */
    envNetwork?: string;
    /** Subnet of that network. */
    envSubnet?: string;
  } = {},
) {
  const L = { [NAMESPACE_LABEL]: ns };
  const net = `${ns}_default`;
  const networks: object[] = [{ Name: net, Driver: "overlay", Labels: L, Attachable: true }];
  if (opts.envNetwork) networks.push(environmentNetwork(opts.envNetwork, opts.envSubnet));
  const file = (name: string) => ({ Name: name, UID: "0", GID: "0", Mode: 0o444 });
  const service = (name: string, extra: { Image?: string; Env?: string[] } = {}) => ({
    Name: `${ns}_${name}`,
    Labels: L,
    TaskTemplate: {
      ContainerSpec: {
        Image: extra.Image ?? TEST_IMAGE,
        Labels: L,
        Command: ["sleep", "3600"],
        Env: extra.Env,
        StopGracePeriod: SECOND,
        Secrets: [{ SecretName: `${ns}_token`, File: file("token") }],
        Configs: [{ ConfigName: `${ns}_conf`, File: file("/etc/app.conf") }],
      },
      Networks: [
        { Target: net, Aliases: [name] },
        ...(opts.envNetwork ? [{ Target: environmentNetwork(opts.envNetwork).Name }] : []),
      ],
    },
    Mode: { Replicated: { Replicas: 1 } },
  });
  const services: object[] = [service("web", { Image: opts.webImage, Env: opts.webEnv })];
  if (opts.worker !== false) services.push(service("worker"));
  services.push(...(opts.extra ?? []));
  return JSON.stringify({
    networks,
    secrets: [{ Name: `${ns}_token`, Labels: L, Data: b64(opts.secret ?? "s3cr3t-one") }],
    configs: [{ Name: `${ns}_conf`, Labels: L, Data: b64(opts.config ?? "level=info\n") }],
    services,
  });
}

const lines: string[] = [];
const ctx = () => ({ signal: AbortSignal.timeout(150_000), progress: (m: string) => void lines.push(m) });

function apply(
  ns: string,
  specsJson: string,
  more: Partial<{
    rollbackOnFailure: boolean;
    waitTimeoutMs: number;
    fingerprints: Record<string, string>;
  }> = {},
) {
  const cmd = create(StackApplyCommandSchema, {
    namespace: ns,
    specsJson,
    prune: true,
    wait: true,
    rollbackOnFailure: more.rollbackOnFailure ?? false,
    fingerprints: more.fingerprints ?? {},
    ...(more.waitTimeoutMs ? { waitTimeout: durationFromMs(more.waitTimeoutMs) } : {}),
  });
  return applyStack(docker, cmd, ctx());
}

async function check(
  ns: string,
  specsJson: string,
  fingerprints: Record<string, string> = {},
): Promise<string[]> {
  const cmd = create(StackCheckCommandSchema, {
    stacks: [
      { namespace: ns, specsJson, prune: true, fingerprints },
      { namespace: "other_app", specsJson: "{not json", prune: true },
    ],
  });
  const { stacks } = await checkStacks(docker, cmd, AbortSignal.timeout(30_000));
  // A stack that cannot be compared says why; the others are compared all the same.
  expect(stacks?.[1]?.error?.message).toMatch(/specs/);
  return stacks?.[0]?.differences ?? [];
}

async function applyFailure(ns: string, specsJson: string, more: Parameters<typeof apply>[2] = {}) {
  const err = await apply(ns, specsJson, more).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StackApplyError);
  return err as StackApplyError;
}

const byName = (r: { services?: { name?: string; action?: string }[] }) =>
  Object.fromEntries((r.services ?? []).map((s) => [s.name, s.action]));

async function names(kind: "services" | "secrets" | "configs" | "networks", ns: string): Promise<string[]> {
  const filters = { label: [`${NAMESPACE_LABEL}=${ns}`] };
  type Named = { Spec?: { Name?: string }; Name?: string };
  const list: Named[] =
    kind === "services"
      ? await docker.listServices({ filters })
      : kind === "secrets"
        ? await docker.listSecrets({ filters })
        : kind === "configs"
          ? await docker.listConfigs({ filters })
          : ((await docker.listNetworks({ filters })) as Named[]);
  return list.map((o) => o.Spec?.Name ?? o.Name ?? "").sort();
}

const inspectSpec = async (name: string) => (await docker.getService(name).inspect()).Spec;

it("refuses with NO_MANAGER on a guest that is not a swarm manager", async () => {
  docker = sandbox.guest(0).docker;
  await expect(apply("a_app", stackSpecs("a_app"))).rejects.toMatchObject({
    code: "NO_MANAGER",
    place: { stack: "a_app" },
  });
  await expect(
    removeStack(docker, create(StackRemoveCommandSchema, { namespace: "a_app" }), ctx()),
  ).rejects.toMatchObject({ code: "NO_MANAGER" });
});

describe("on a one-node swarm", () => {
  const ns = "dev1_app";
  // The stack as it stands after the rotation and prune steps; later cases start from it.
  const rotated = { webEnv: ["MODE=fast"], config: "level=debug\n", secret: "s3cr3t-two" };
  const pruned = { ...rotated, worker: false };
  let created: Record<string, string> = {};

  beforeAll(async () => {
    const g = sandbox.guest(0);
    docker = g.docker;
    await docker.swarmInit({ ListenAddr: `${g.ip}:2377`, AdvertiseAddr: g.ip });
  });

  it("creates networks, secrets, configs and services and waits until they run", async () => {
    const result = await apply(ns, stackSpecs(ns));
    expect(byName(result)).toEqual({ dev1_app_web: "created", dev1_app_worker: "created" });
    for (const s of result.services ?? [])
      expect(s).toMatchObject({ state: "running", running: 1, desired: 1 });
    expect(result.networksCreated).toEqual(["dev1_app_default"]);
    expect(result.objectsCreated).toEqual(["dev1_app_token", "dev1_app_conf"]);
    expect(result.dockerWrites).toBe(5);
    expect(await names("services", ns)).toEqual(["dev1_app_web", "dev1_app_worker"]);
    const spec = await inspectSpec("dev1_app_web");
    expect(spec.Labels?.[SPEC_HASH_LABEL]).toMatch(/^[0-9a-f]{64}$/);
    expect(lines).toContain("service dev1_app_web: 1/1 running");
    created = { ...result.fingerprints };
    expect(Object.keys(created).sort()).toEqual(["dev1_app_web", "dev1_app_worker"]);
  });

  it("changes nothing when the same specs are applied again: zero Docker writes", async () => {
    const before = await docker.getService("dev1_app_web").inspect();
    const result = await apply(ns, stackSpecs(ns));
    expect(result.dockerWrites).toBe(0);
    expect(byName(result)).toEqual({ dev1_app_web: "unchanged", dev1_app_worker: "unchanged" });
    // Read back after the writes or read before a re-apply: the same fingerprints.
    expect(result.fingerprints).toEqual(created);
    // Reported from the reads made before anything else: the stack's services and their tasks.
    expect(result.services?.map((s) => [s.state, s.running, s.desired])).toEqual([
      ["running", 1, 1],
      ["running", 1, 1],
    ]);
    expect(result.networksCreated).toEqual([]);
    expect(result.objectsCreated).toEqual([]);
    expect(result.removed).toEqual([]);
    expect((await docker.getService("dev1_app_web").inspect()).Version.Index).toBe(before.Version.Index);
    expect(await check(ns, stackSpecs(ns))).toEqual([]);
  });

  it("updates only the service whose spec changed", async () => {
    const worker = await docker.getService("dev1_app_worker").inspect();
    const result = await apply(ns, stackSpecs(ns, { webEnv: ["MODE=fast"] }));
    expect(byName(result)).toEqual({ dev1_app_web: "updated", dev1_app_worker: "unchanged" });
    expect(result.dockerWrites).toBe(1);
    expect(result.services?.[0]).toMatchObject({ state: "running", running: 1, desired: 1 });
    expect((await inspectSpec("dev1_app_web")).TaskTemplate?.ContainerSpec?.Env).toEqual(["MODE=fast"]);
    expect((await docker.getService("dev1_app_worker").inspect()).Version.Index).toBe(worker.Version.Index);
  });

  it("undoes a scale done outside Phoenix even though the hash label still matches", async () => {
    const svc = await docker.getService("dev1_app_web").inspect();
    const scaled = { ...svc.Spec, Mode: { Replicated: { Replicas: 2 } } };
    await docker
      .getService("dev1_app_web")
      .update({ _query: { version: svc.Version.Index }, _body: scaled } as never);
    // The check sees it and writes nothing; the apply then undoes it.
    const scaledVersion = (await docker.getService("dev1_app_web").inspect()).Version.Index;
    expect(await check(ns, stackSpecs(ns, { webEnv: ["MODE=fast"] }))).toEqual([
      "service dev1_app_web: replicas changed outside Phoenix",
    ]);
    expect(await check(ns, stackSpecs(ns, { webEnv: ["MODE=slow"], worker: false }))).toEqual([
      "service dev1_app_web: differs from its specs in Mode.Replicated.Replicas, TaskTemplate.ContainerSpec.Env",
      "service dev1_app_worker: no longer declared",
    ]);
    expect((await docker.getService("dev1_app_web").inspect()).Version.Index).toBe(scaledVersion);
    const result = await apply(ns, stackSpecs(ns, { webEnv: ["MODE=fast"] }));
    expect(byName(result)).toEqual({ dev1_app_web: "updated", dev1_app_worker: "unchanged" });
    expect(result.dockerWrites).toBe(1);
    expect(lines).toContain("service dev1_app_web: updated (replicas changed outside Phoenix)");
    expect((await inspectSpec("dev1_app_web")).Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(await check(ns, stackSpecs(ns, { webEnv: ["MODE=fast"] }))).toEqual([]);
  });

  it("undoes an edit outside Phoenix that keeps the labels, told by the fingerprints of the last apply", async () => {
    const specs = stackSpecs(ns, { webEnv: ["MODE=fast"] });
    // A re-apply reports the fingerprints from what it read; they are those the last write left.
    const last = await apply(ns, specs);
    expect(last.dockerWrites).toBe(0);
    const fingerprints = { ...last.fingerprints };
    expect(Object.keys(fingerprints).sort()).toEqual(["dev1_app_web", "dev1_app_worker"]);
    const edit = async (change: (spec: Dockerode.ServiceSpec) => void) => {
      const svc = await docker.getService("dev1_app_web").inspect();
      const spec = structuredClone(svc.Spec);
      change(spec);
      await docker
        .getService("dev1_app_web")
        .update({ _query: { version: svc.Version.Index }, _body: spec } as never);
      // The rolling update moves the service's version as it goes: wait until it is done.
      for (let i = 0; i < 300; i++) {
        const now = await docker.getService("dev1_app_web").inspect();
        if (now.UpdateStatus?.State === "completed") return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the update of dev1_app_web did not complete");
    };

    // docker service update --force: tasks restart, nothing they run changed.
    await edit((spec) => {
      spec.TaskTemplate!.ForceUpdate = (spec.TaskTemplate!.ForceUpdate ?? 0) + 1;
    });
    expect(await check(ns, specs, fingerprints)).toEqual([]);

    // docker service update --env-add DEBUG=1: the hash label still matches.
    await edit((spec) => {
      (spec.TaskTemplate as { ContainerSpec: { Env?: string[] } }).ContainerSpec.Env = [
        "MODE=fast",
        "DEBUG=1",
      ];
    });
    const edited = (await docker.getService("dev1_app_web").inspect()).Version.Index;
    expect(await check(ns, specs, fingerprints)).toEqual([
      "service dev1_app_web: changed outside Phoenix in TaskTemplate.ContainerSpec.Env",
    ]);
    // Without the fingerprints there is nothing to tell it by.
    expect(await check(ns, specs)).toEqual([]);
    expect((await docker.getService("dev1_app_web").inspect()).Version.Index).toBe(edited);

    const result = await apply(ns, specs, { fingerprints });
    expect(byName(result)).toEqual({ dev1_app_web: "updated", dev1_app_worker: "unchanged" });
    expect(result.dockerWrites).toBe(1);
    expect(lines).toContain("service dev1_app_web: updated (its spec changed outside Phoenix)");
    expect((await inspectSpec("dev1_app_web")).TaskTemplate?.ContainerSpec?.Env).toEqual(["MODE=fast"]);
    // The spec is the one Phoenix wrote again (less the force counter): so is its fingerprint.
    expect(result.fingerprints).toEqual(fingerprints);
    expect(await check(ns, specs, fingerprints)).toEqual([]);
    expect((await apply(ns, specs, { fingerprints })).dockerWrites).toBe(0);
  });

  it("rotates a changed config and secret: new versioned objects, services switched, old ones gone", async () => {
    const result = await apply(ns, stackSpecs(ns, rotated));
    expect(byName(result)).toEqual({ dev1_app_web: "updated", dev1_app_worker: "updated" });
    const [secret] = await names("secrets", ns);
    const [config] = await names("configs", ns);
    expect(secret).toMatch(/^dev1_app_token-[0-9a-f]{8}$/);
    expect(config).toMatch(/^dev1_app_conf-[0-9a-f]{8}$/);
    expect(result.objectsCreated).toEqual([secret, config]);
    expect(result.removed).toEqual(expect.arrayContaining(["dev1_app_token", "dev1_app_conf"]));
    expect(await names("secrets", ns)).toHaveLength(1);
    expect(await names("configs", ns)).toHaveLength(1);
    for (const svc of ["dev1_app_web", "dev1_app_worker"]) {
      const c = (await inspectSpec(svc)).TaskTemplate?.ContainerSpec;
      expect(c?.Secrets?.map((s: { SecretName?: string }) => s.SecretName)).toEqual([secret]);
      expect(c?.Configs?.map((s: { ConfigName?: string }) => s.ConfigName)).toEqual([config]);
    }
    // The running task sees the new config content.
    const task = (
      await docker.listTasks({ filters: { service: ["dev1_app_web"], "desired-state": ["running"] } })
    )[0];
    const container = docker.getContainer(task.Status.ContainerStatus.ContainerID);
    const exec = await container.exec({ Cmd: ["cat", "/etc/app.conf"], AttachStdout: true });
    const out = await new Promise<string>((resolve, reject) => {
      exec.start({}, (err, stream) => {
        if (err || !stream) return reject(err);
        let text = "";
        stream.on("data", (b: Buffer) => {
          text += b.toString("latin1");
        });
        stream.on("end", () => resolve(text));
      });
    });
    expect(out).toContain("level=debug");
  });

  it("prunes a service the stack no longer declares", async () => {
    const result = await apply(ns, stackSpecs(ns, pruned));
    expect(byName(result)).toEqual({ dev1_app_web: "unchanged", dev1_app_worker: "removed" });
    expect(result.removed).toEqual(["dev1_app_worker"]);
    expect(result.dockerWrites).toBe(1);
    expect(await names("services", ns)).toEqual(["dev1_app_web"]);
  });

  it("reports a job as complete", async () => {
    const job = {
      Name: `${ns}_migrate`,
      Labels: { [NAMESPACE_LABEL]: ns },
      TaskTemplate: {
        ContainerSpec: { Image: TEST_IMAGE, Command: ["true"] },
        RestartPolicy: { Condition: "none" },
      },
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
    };
    const result = await apply(ns, stackSpecs(ns, { ...pruned, extra: [job] }));
    expect(result.services?.find((s) => s.name === `${ns}_migrate`)).toMatchObject({
      action: "created",
      state: "complete",
      running: 1,
      desired: 1,
    });
  });

  it("fails a deploy whose image does not exist with the task's error, and rolls back to the previous specs", async () => {
    await apply(ns, stackSpecs(ns, rotated)); // web and worker again, no job
    const before = await inspectSpec("dev1_app_web");
    const workerBefore = await inspectSpec("dev1_app_worker");
    const secretsBefore = await names("secrets", ns);
    const extra = {
      Name: `${ns}_extra`,
      Labels: { [NAMESPACE_LABEL]: ns },
      TaskTemplate: {
        ContainerSpec: { Image: TEST_IMAGE, Command: ["sleep", "3600"], StopGracePeriod: SECOND },
      },
      Mode: { Replicated: { Replicas: 1 } },
    };
    const failing = stackSpecs(ns, {
      ...pruned,
      webImage: "nope:latest",
      secret: "s3cr3t-three",
      extra: [extra],
    });
    const err = await applyFailure(ns, failing, { rollbackOnFailure: true });

    expect(err.code).toBe("DEPLOY_FAILED");
    expect(err.place).toEqual({ stack: ns, service: "dev1_app_web" });
    expect(err.message).toContain("No such image: nope:latest");
    expect(err.message).toContain("rolled back");
    expect(err.details.map((d) => [d.place.service, d.message])).toEqual([
      ["dev1_app_web", expect.stringContaining("No such image: nope:latest")],
    ]);
    expect(err.result.rolledBack).toBe(true);
    // web updated, extra created, worker pruned: all three are back as they were.
    expect(byName(err.result)).toEqual({
      dev1_app_web: "rolled-back",
      dev1_app_extra: "rolled-back",
      dev1_app_worker: "rolled-back",
    });
    expect(err.result.services?.find((s) => s.name === "dev1_app_web")).toMatchObject({
      state: "failed",
      error: expect.stringContaining("No such image: nope:latest"),
    });
    expect(err.message).not.toContain("s3cr3t");

    expect(await inspectSpec("dev1_app_web")).toEqual(before);
    expect(await inspectSpec("dev1_app_worker")).toEqual(workerBefore);
    expect(await names("services", ns)).toEqual(["dev1_app_web", "dev1_app_worker"]);
    expect(await names("secrets", ns)).toEqual(secretsBefore);
  });

  it("reports a failed deploy without rolling back when not asked to", async () => {
    const err = await applyFailure(ns, stackSpecs(ns, { ...pruned, webImage: "nope:latest" }));
    expect(err.code).toBe("DEPLOY_FAILED");
    expect(err.result.rolledBack).toBe(false);
    expect(byName(err.result)).toEqual({ dev1_app_web: "updated", dev1_app_worker: "removed" });
    expect((await inspectSpec("dev1_app_web")).TaskTemplate?.ContainerSpec?.Image).toBe("nope:latest");
  });

  it("times out with the reason tasks cannot start", async () => {
    const stuck = {
      Name: `${ns}_stuck`,
      Labels: { [NAMESPACE_LABEL]: ns },
      TaskTemplate: {
        ContainerSpec: { Image: TEST_IMAGE, Command: ["sleep", "3600"] },
        Placement: { Constraints: ["node.labels.nowhere == true"] },
      },
      Mode: { Replicated: { Replicas: 1 } },
    };
    const err = await applyFailure(ns, stackSpecs(ns, { ...pruned, extra: [stuck] }), {
      waitTimeoutMs: 3_000,
    });
    expect(err.code).toBe("TIMEOUT");
    expect(err.place.service).toBe(`${ns}_stuck`);
    expect(err.message).toMatch(/did not all run within 3 s: dev1_app_stuck 0\/1 running \(no suitable node/);
  });

  it("removes one namespace entirely and leaves another namespace and the shared network alone", async () => {
    const other = "test_app";
    const env = environmentNetwork("dev1").Name;
    // Both stacks ensure the shared network at the same time: one creates it, the other uses it.
    await Promise.all([
      apply(ns, stackSpecs(ns, { envNetwork: "dev1" })),
      apply(other, stackSpecs(other, { envNetwork: "dev1" })),
    ]);
    expect((await docker.listNetworks({ filters: { name: [env] } })).map((n) => n.Name)).toEqual([env]);
    const otherBefore = await Promise.all(
      (["services", "secrets", "configs", "networks"] as const).map((k) => names(k, other)),
    );
    lines.length = 0;
    const result = await removeStack(docker, create(StackRemoveCommandSchema, { namespace: ns }), ctx());
    expect(result.removed).toEqual(
      expect.arrayContaining(["dev1_app_web", "dev1_app_worker", "dev1_app_default"]),
    );
    expect(result.removed).not.toContain(env);
    for (const kind of ["services", "secrets", "configs", "networks"] as const) {
      expect(await names(kind, ns)).toEqual([]);
    }
    expect(
      await Promise.all(
        (["services", "secrets", "configs", "networks"] as const).map((k) => names(k, other)),
      ),
    ).toEqual(otherBefore);
    expect((await docker.listNetworks({ filters: { name: [env] } })).map((n) => n.Name)).toEqual([env]);

    const again = await removeStack(docker, create(StackRemoveCommandSchema, { namespace: ns }), ctx());
    expect(again.removed).toEqual([]);
  });

  it("creates an environment network with the subnet asked for, and says so when another is asked of it", async () => {
    const stage = "staging_app";
    const specs = (envSubnet: string) =>
      stackSpecs(stage, { envNetwork: "staging", envSubnet, worker: false });
    await apply(stage, specs("10.250.0.0/20"));
    const [net] = await docker.listNetworks({ filters: { name: ["phoenix_env_staging"] } });
    expect(net?.IPAM?.Config?.map((c) => c.Subnet)).toEqual(["10.250.0.0/20"]);
    lines.length = 0;
    const again = await apply(stage, specs("10.250.16.0/20"));
    expect(again.dockerWrites).toBe(0);
    expect(lines).toContain(
      "network phoenix_env_staging: has subnet 10.250.0.0/20, not 10.250.16.0/20; Docker cannot change a network in place: remove every stack that uses it, then the network (docker network rm phoenix_env_staging), and the next deploy creates it with the new subnet",
    );
    await removeStack(docker, create(StackRemoveCommandSchema, { namespace: stage }), ctx());
  });

  it("says when a stack fills its environment network's subnet, as Docker counts the addresses", async () => {
    const lab = "lab_app";
    // web: a task and a VIP; `many`: a dnsrr task per replica; the node's load balancer: one more.
    const specs = (replicas: number) =>
      stackSpecs(lab, {
        envNetwork: "lab",
        envSubnet: "10.251.0.0/28",
        worker: false,
        extra: [
          {
            Name: `${lab}_many`,
            Labels: { [NAMESPACE_LABEL]: lab },
            TaskTemplate: {
              ContainerSpec: { Image: TEST_IMAGE, Command: ["sleep", "3600"], StopGracePeriod: SECOND },
              Networks: [{ Target: "phoenix_env_lab" }],
            },
            Mode: { Replicated: { Replicas: replicas } },
            EndpointSpec: { Mode: "dnsrr" },
          },
        ],
      });
    const notes = async (replicas: number) => {
      const cmd = create(StackCheckCommandSchema, {
        stacks: [{ namespace: lab, specsJson: specs(replicas), prune: true, notesOnly: true }],
      });
      const { stacks } = await checkStacks(docker, cmd, AbortSignal.timeout(30_000));
      expect(stacks?.[0]?.error).toBeUndefined();
      return stacks?.[0]?.notes;
    };
    const over = (recreate: string) =>
      `network phoenix_env_lab: needs 14 addresses (12 tasks, 1 service VIP, 1 node load balancer) and its subnet 10.251.0.0/28 has 13: the tasks past that stay in state "new" and never start; give it a larger subnet in etc/phoenix_cluster.json environment_networks.lab.subnet${recreate}`;
    // Before the network exists: the subnet it will be created with.
    expect(await notes(11)).toEqual([over("")]);
    expect(await notes(6)).toEqual([]);
    // 13 addresses of a /28 do hold 13: every task runs.
    lines.length = 0;
    const full = await apply(lab, specs(10));
    expect(full.services?.map((x) => [x.name, x.running])).toEqual([
      ["lab_app_web", 1],
      ["lab_app_many", 10],
    ]);
    const fullLine =
      "network phoenix_env_lab: will use 13 of the 13 addresses of its subnet 10.251.0.0/28 (11 tasks, 1 service VIP, 1 node load balancer): 0 more fit; a larger subnet goes in etc/phoenix_cluster.json environment_networks.lab.subnet";
    // The apply says it too, before it writes the services.
    expect(lines.indexOf(fullLine)).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf(fullLine)).toBeLessThan(lines.indexOf("service lab_app_web: created"));
    expect(await notes(10)).toEqual([fullLine]);
    expect(await notes(11)).toEqual([over(" (the network must then be recreated)")]);
    // One more, and Docker leaves it in state "new", as the note says.
    lines.length = 0;
    const err = await applyFailure(lab, specs(11), { waitTimeoutMs: 7_000 });
    expect(lines).toContain(over(" (the network must then be recreated)"));
    expect(err.message).toContain(
      'lab_app_many 10/11 running (a task stays in state "new": Swarm has not given it addresses',
    );
    const tasks = await docker.listTasks({
      filters: { service: ["lab_app_many"], "desired-state": ["running"] },
    });
    expect(tasks.map((t) => t.Status?.State).sort()).toEqual(["new", ...Array(10).fill("running")]);
    await removeStack(docker, create(StackRemoveCommandSchema, { namespace: lab }), ctx());
  });

  it("applies what packages/stacks renders from a compose file, and re-applies it without a write", async () => {
    const compose = [
      "services:",
      "  api:",
      `    image: ${TEST_IMAGE}`,
      '    command: ["sleep", "3600"]',
      "    stop_grace_period: 1s",
      "    configs: [{ source: settings, target: /etc/api.conf }]",
      "    deploy: { replicas: 2 }",
      "configs:",
      "  settings: { file: ./api.conf }",
    ].join("\n");
    const rendered = renderStackSource({
      composeYaml: compose,
      workingDir: "/stack",
      env: "dev1",
      stack: "render",
      manifest: { environments: { dev1: {} } },
      readFile: () => Buffer.from("port=8080\n"),
    });
    const specsJson = JSON.stringify({
      networks: [rendered.environmentNetwork, ...rendered.networks],
      secrets: rendered.secrets,
      configs: rendered.configs,
      services: rendered.services,
    });
    const first = await apply(rendered.namespace, specsJson);
    expect(first.services).toEqual([
      { name: "dev1_render_api", action: "created", state: "running", running: 2, desired: 2, error: "" },
    ]);
    const again = await apply(rendered.namespace, specsJson);
    expect(again.dockerWrites).toBe(0);
    expect(again.services?.[0]).toMatchObject({ action: "unchanged", state: "running", running: 2 });
    await removeStack(docker, create(StackRemoveCommandSchema, { namespace: rendered.namespace }), ctx());
  });

  it("rejects specs of another namespace before touching Docker", async () => {
    const err = await apply("x_app", stackSpecs("y_app")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining('namespace "y_app"'),
    });
  });
});
