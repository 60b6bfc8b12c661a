import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { parseDocument } from "yaml";
import type { Lab } from "../../../test/lab";
import { type Figure, figure } from "../figures";
import { cpuWithChildrenMs } from "../proc-usage";
import { median } from "../stats";
import { dockerdPid, ENV, pollFrom, STACK, sleep } from "./bench-lab";

const SECTION = "4. deploy";
/** Phoenix's deploy time over docker stack deploy's, and the no-op re-deploy (issue 7). */
export const DEPLOY_RATIO_BUDGET = 1.0;
export const NOOP_BUDGET_MS = 300;
export const NOOP_WRITES_BUDGET = 0;
/** Namespaces: Phoenix's is `<env>_<stack>`; docker stack deploy's are named here. */
const PHOENIX_NS = `${ENV}_${STACK}`;
const DOCKER_NS = `${STACK}-docker`;
const DOCKER_ENVNET_NS = `${STACK}-envnet`;
/** The environment network Phoenix attaches every service of the environment to. */
const ENV_NETWORK = `phoenix_env_${ENV}`;
const SERVICES = 10;
const POLL_MS = 50;
/** No-op re-deploys at least: each takes well under a second. */
const NOOP_RUNS = 5;
/** Event types that are writes to the swarm's objects (containers follow from these). */
const WRITE_TYPES = ["service", "network", "secret", "config", "node", "volume"];

const run = promisify(execFile);

/** Options of the deploy benchmark. */
export interface DeployOptions {
  /** Deploys timed per tool (from nothing), and no-op re-deploys. */
  runs: number;
  /** Also time docker stack deploy of the stack with Phoenix's environment network added to every service. */
  sameNetworks: boolean;
  /**
   * Also time both tools while another service of the environment runs on every node, as when other
   * stacks of the environment are deployed: the environment network is then set up on each node already.
   */
  environmentInUse: boolean;
  /**
   * Deploy and remove once with each tool, untimed, first. Without it the first timed Phoenix deploy
   * also creates the environment network and runs its code cold: the figure can only come out worse.
   */
  warmup: boolean;
  /** Scratch directory. */
  dir: string;
}

/**
 * The compose file with the environment network (external) added to every service: the networks a
 * Phoenix deploy gives each task, deployed by docker stack deploy.
 */
export async function withEnvironmentNetwork(compose: string, out: string): Promise<void> {
  const doc = parseDocument(await readFile(compose, "utf8"));
  const services = doc.get("services") as { items: { key: unknown; value: unknown }[] };
  for (const item of services.items) {
    const name = String((item.key as { value?: unknown }).value ?? item.key);
    const nets = doc.getIn(["services", name, "networks"]) as
      | { items?: unknown[]; toJSON(): unknown }
      | undefined;
    const list = nets ? (nets.toJSON() as string[] | Record<string, unknown>) : ["default"];
    if (Array.isArray(list)) doc.setIn(["services", name, "networks"], [...list, "phoenix_env"]);
    else doc.setIn(["services", name, "networks"], { ...list, phoenix_env: null });
  }
  doc.setIn(["networks", "phoenix_env"], { external: true, name: ENV_NETWORK });
  await writeFile(out, String(doc));
}

/** The service that stands for another stack of the environment: one task per node on its network. */
const ENV_USER = "bench-environment-user";
/** The stack's own image (the lab made it on every guest); it runs until stopped. */
const ENV_USER_IMAGE = "phoenix/bench-app:1.0";

/**
 * Starts ENV_USER (global, on the environment network) and waits until it runs on every node, so that
 * every node has the environment network set up, as it has while other stacks of the environment run.
 */
async function useEnvironment(docker: Docker): Promise<() => Promise<void>> {
  await docker.createService({
    Name: ENV_USER,
    TaskTemplate: { ContainerSpec: { Image: ENV_USER_IMAGE }, Networks: [{ Target: ENV_NETWORK }] },
    Mode: { Global: {} },
    EndpointSpec: { Mode: "dnsrr" },
  } as never);
  const nodes = (await docker.listNodes()).length;
  await pollFrom(
    performance.now(),
    async () => {
      const [svc] = (await docker.listServices({
        status: true,
        filters: { name: [ENV_USER] },
      } as never)) as unknown as ServiceStatus[];
      return svc?.ServiceStatus?.RunningTasks === nodes ? true : undefined;
    },
    `${ENV_USER} running on ${nodes} nodes`,
    120_000,
    200,
  );
  return () => docker.getService(ENV_USER).remove();
}

interface ServiceStatus {
  Spec: { Name: string };
  Version: { Index: number };
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number };
}

const stackServices = async (docker: Docker, ns: string) =>
  (await docker.listServices({
    status: true,
    filters: { label: [`com.docker.stack.namespace=${ns}`] },
  } as never)) as unknown as ServiceStatus[];

/** True when the stack's ten services exist and each runs all the tasks it wants. */
async function converged(docker: Docker, ns: string): Promise<true | undefined> {
  const services = await stackServices(docker, ns);
  const ok =
    services.length === SERVICES &&
    services.every(
      (s) =>
        (s.ServiceStatus?.DesiredTasks ?? 0) > 0 &&
        s.ServiceStatus!.RunningTasks === s.ServiceStatus!.DesiredTasks,
    );
  return ok ? true : undefined;
}

/**
 * Waits until nothing of the namespace is left: services, their containers on every guest, networks.
 * A network still in use by a task that is shutting down cannot go yet (docker stack rm then gives
 * up on it): once the containers are gone, such leftovers are removed here.
 */
async function gone(lab: Lab, ns: string): Promise<void> {
  const manager = lab.guest("mgr").docker;
  const label = { label: [`com.docker.stack.namespace=${ns}`] };
  await pollFrom(
    performance.now(),
    async () => {
      if ((await stackServices(manager, ns)).length > 0) return undefined;
      for (const g of lab.guests) {
        if ((await g.docker.listContainers({ all: true, filters: label })).length > 0) return undefined;
      }
      const nets = await manager.listNetworks({ filters: label });
      for (const n of nets)
        await manager
          .getNetwork(n.Id)
          .remove()
          .catch(() => {});
      return nets.length === 0 ? true : undefined;
    },
    `${ns} removed`,
    120_000,
    200,
  );
}

/**
 * CPU the guests' Docker engines have used so far, in milliseconds: every guest's dockerd with the
 * children it has waited for. On Docker 20.10 those children are much of a deploy's cost: besides
 * iptables runs, dockerd re-executes its own binary for network set-up (netns-create and
 * set-default-vlan as a node sets up an overlay network, set-ipv6 and setup-resolver as containers
 * join their networks, libnetwork-setkey for each container), each run a tenth to a fifth of a second of
 * CPU on this machine. containerd, its shims and runc are not counted.
 */
function engineCpuMs(lab: Lab): number {
  let sum = 0;
  for (const g of lab.guests) {
    const pid = dockerdPid(g.dir);
    const ms = pid === undefined ? undefined : cpuWithChildrenMs(pid);
    if (ms === undefined) throw new Error(`the dockerd of lab guest ${g.name} cannot be read`);
    sum += ms;
  }
  return sum;
}

const msList = (values: readonly number[]) => values.map((v) => v.toFixed(0)).join(", ");

/** Writes to the swarm's objects the manager's engine reported between two instants (GET /events). */
async function writesBetween(docker: Docker, since: number, until: number): Promise<string[]> {
  const stream = (await docker.getEvents({
    since: Math.floor(since / 1000),
    until: Math.ceil(until / 1000) + 1,
    filters: { type: WRITE_TYPES },
  } as never)) as unknown as NodeJS.ReadableStream;
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map(
      (l) =>
        JSON.parse(l) as {
          Type: string;
          Action: string;
          time?: number;
          timeNano?: number;
          Actor?: { Attributes?: { name?: string } };
        },
    )
    .filter((e) => {
      const ms = e.timeNano ? e.timeNano / 1e6 : (e.time ?? 0) * 1000;
      return ms >= since && ms <= until;
    })
    .map((e) => `${e.Type} ${e.Action} ${e.Actor?.Attributes?.name ?? ""}`.trim());
}

/**
 * Deploy: the same 10-service stack (bench/model/stacks/webshop) by `docker stack deploy
 * --resolve-image never` (the docker CLI against the manager's socket) and by `phoenix swarm deploy`
 * (the CLI bundle against the lab's coordinator), each from nothing and timed to the same end point:
 * every service of the stack runs all its desired tasks, polled from the manager's API. Then a
 * re-deploy of the unchanged stack by each, with the Docker writes counted from the engine's events.
 */
export async function benchDeploy(lab: Lab, o: DeployOptions): Promise<Figure[]> {
  const mgr = lab.guest("mgr");
  const compose = join(lab.modelDir, "stacks", STACK, "docker-compose.yml");
  const envnetCompose = join(o.dir, "docker-compose.envnet.yml");
  await withEnvironmentNetwork(compose, envnetCompose);
  const dockerDeploy = (file: string, ns: string) => () =>
    run("docker", ["-H", mgr.dockerHost, "stack", "deploy", "--resolve-image", "never", "-c", file, ns], {
      timeout: 120_000,
    });
  const phoenixDeploy = async () => {
    const r = await lab.phoenix(["swarm", "deploy", STACK, "--env", ENV, "--json"], { timeoutMs: 180_000 });
    if (r.code !== 0)
      throw new Error(`phoenix swarm deploy exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    const res = JSON.parse(r.stdout) as { apply?: { dockerWrites?: number } };
    // Protobuf JSON leaves zero out: an apply without dockerWrites wrote nothing.
    return res.apply ? (res.apply.dockerWrites ?? 0) : -1;
  };
  const timed = async (deploy: () => Promise<unknown>, ns: string, cpu?: number[]) => {
    const engineBefore = engineCpuMs(lab);
    const start = performance.now();
    await deploy();
    const { ms } = await pollFrom(start, () => converged(mgr.docker, ns), `${ns} running`, 180_000, POLL_MS);
    cpu?.push(engineCpuMs(lab) - engineBefore);
    return ms;
  };
  const removeDocker = (ns: string) => async () => {
    // It exits 1 when a network is still in use by a task shutting down; gone() finishes the job.
    await run("docker", ["-H", mgr.dockerHost, "stack", "rm", ns], { timeout: 60_000 }).catch(() => {});
    await gone(lab, ns);
  };
  const removePhoenix = async () => {
    const r = await lab.phoenix(["swarm", "rm", STACK, "--env", ENV], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`phoenix swarm rm exited ${r.code}: ${r.stderr.trim()}`);
    await gone(lab, PHOENIX_NS);
  };

  interface Tool {
    name: string;
    deploy: () => Promise<unknown>;
    ns: string;
    remove: () => Promise<void>;
    ms: number[];
    /** The guests' engine CPU (engineCpuMs) of each timed deploy. */
    cpu: number[];
  }
  const docker: Tool = {
    name: "docker",
    deploy: dockerDeploy(compose, DOCKER_NS),
    ns: DOCKER_NS,
    remove: removeDocker(DOCKER_NS),
    ms: [],
    cpu: [],
  };
  const phoenix: Tool = {
    name: "phoenix",
    deploy: phoenixDeploy,
    ns: PHOENIX_NS,
    remove: removePhoenix,
    ms: [],
    cpu: [],
  };
  const envnet: Tool = {
    name: "docker, same networks",
    deploy: dockerDeploy(envnetCompose, DOCKER_ENVNET_NS),
    ns: DOCKER_ENVNET_NS,
    remove: removeDocker(DOCKER_ENVNET_NS),
    ms: [],
    cpu: [],
  };
  const tools = o.sameNetworks ? [docker, phoenix, envnet] : [docker, phoenix];

  // One untimed deploy and removal each first: what a fresh swarm does once (overlay networks on
  // every node, volumes, Phoenix's environment network) is not charged to whichever runs first.
  for (const t of o.warmup ? [docker, phoenix] : []) {
    await timed(t.deploy, t.ns);
    await t.remove();
  }
  for (let r = 0; r < o.runs; r++) {
    // Rotate which goes first, so no tool always meets a busier or a warmer machine.
    const order = tools.map((_, i) => tools[(i + r) % tools.length]!);
    for (const t of order) {
      t.ms.push(await timed(t.deploy, t.ns, t.cpu));
      // Docker's and Phoenix's plain stacks stay deployed after the last run, for the re-deploys.
      if (r < o.runs - 1 || t === envnet) await t.remove();
    }
  }
  await sleep(1_000);

  // Re-deploys of the unchanged stack: both are deployed and converged now.
  const noop = {
    phoenixMs: [] as number[],
    apiMs: [] as number[],
    phoenixWrites: [] as number[],
    reported: [] as number[],
    versionMs: [] as number[],
  };
  const dockerAgain = { ms: [] as number[], writes: [] as number[] };
  for (let r = 0; r < Math.max(o.runs, NOOP_RUNS); r++) {
    let start = performance.now();
    await lab.phoenix(["--version"]);
    noop.versionMs.push(performance.now() - start);
    let since = Date.now();
    start = performance.now();
    noop.reported.push(await phoenixDeploy());
    noop.phoenixMs.push(performance.now() - start);
    start = performance.now();
    for await (const m of lab.api().deployStack({ stack: STACK, env: ENV })) {
      if (m.msg.case === "result" && !m.msg.value.ok)
        throw new Error(`DeployStack failed: ${m.msg.value.error?.message}`);
    }
    noop.apiMs.push(performance.now() - start);
    noop.phoenixWrites.push((await writesBetween(mgr.docker, since, Date.now())).length);

    since = Date.now();
    start = performance.now();
    await docker.deploy();
    dockerAgain.ms.push(performance.now() - start);
    await sleep(500);
    dockerAgain.writes.push((await writesBetween(mgr.docker, since, Date.now())).length);
    await pollFrom(
      performance.now(),
      () => converged(mgr.docker, DOCKER_NS),
      `${DOCKER_NS} running`,
      60_000,
      POLL_MS,
    );
  }

  // Both again, while the environment is in use on every node (the stacks deployed now go first).
  const inUse = { phoenix: [] as number[], docker: [] as number[] };
  if (o.environmentInUse) {
    await phoenix.remove();
    await docker.remove();
    const stop = await useEnvironment(mgr.docker);
    try {
      for (let r = 0; r < o.runs; r++) {
        for (const t of r % 2 === 0 ? [phoenix, docker] : [docker, phoenix]) {
          (t === phoenix ? inUse.phoenix : inUse.docker).push(await timed(t.deploy, t.ns));
          await t.remove();
        }
      }
    } finally {
      await stop();
    }
  }

  const nodes = (await mgr.docker.listNodes()).length;
  const dockerMs = docker.ms;
  const phoenixMs = phoenix.ms;
  const dockerMedian = median(dockerMs);
  const phoenixMedian = median(phoenixMs);
  return [
    figure({
      id: "deploy.phoenix",
      section: SECTION,
      label: `deploy ${SERVICES} services from nothing until all tasks run: phoenix`,
      value: phoenixMedian,
      unit: "ms",
      reference: { label: "docker stack deploy", value: dockerMedian, unit: "ms" },
      note:
        `median of ${o.runs} each, rotating which goes first; phoenix: ${phoenixMs.map((t) => t.toFixed(0)).join(", ")} ms, ` +
        `docker: ${dockerMs.map((t) => t.toFixed(0)).join(", ")} ms. Both timed from starting the CLI (phoenix swarm deploy --env ${ENV}; ` +
        `docker -H <manager> stack deploy --resolve-image never) until every service of the stack runs all its desired tasks ` +
        `(RunningTasks = DesiredTasks in GET /services?status=true on the manager, polled every ${POLL_MS} ms)` +
        `${o.warmup ? ", after one untimed deploy and removal of each" : ", without warm-up (Phoenix's first deploy also creates its environment network)"}. Swarm: ${nodes} lab guests. Phoenix attaches every task to the ` +
        `environment network ${ENV_NETWORK} too: one overlay network more per task (frontend 3 instead of 2, the others 2 instead of 1), ` +
        `which each node sets up before its first task on it starts and connects every task to; on this 2-core machine the guests' Docker uses all CPU during a deploy, so each endpoint more is time more`,
    }),
    figure({
      id: "deploy.ratio",
      section: SECTION,
      label: "deploy wall time, phoenix / docker stack deploy",
      value: phoenixMedian / dockerMedian,
      unit: "x",
      budget: DEPLOY_RATIO_BUDGET,
    }),
    figure({
      id: "deploy.engine-cpu",
      section: SECTION,
      label: "the guests' dockerd CPU during a deploy, phoenix / docker stack deploy",
      value: median(phoenix.cpu) / median(docker.cpu),
      unit: "x",
      note:
        `every guest's dockerd with the helpers it ran and waited for (utime+stime+cutime+cstime in /proc/<pid>/stat), ` +
        `from starting the CLI until all tasks run: phoenix ${msList(phoenix.cpu)} ms, docker ${msList(docker.cpu)} ms` +
        `${o.sameNetworks ? `, docker with the same networks as Phoenix ${msList(envnet.cpu)} ms` : ""}. ` +
        "Most of it is dockerd re-executing its own binary to set up networks (set-ipv6 and setup-resolver as each container joins " +
        "its networks, netns-create and set-default-vlan as a node sets up an overlay network, libnetwork-setkey per container): " +
        "the environment network's endpoint in every task costs the engines this much more, and on 2 cores that is wall time",
    }),
    ...(o.sameNetworks
      ? [
          figure({
            id: "deploy.same-networks",
            section: SECTION,
            label: "deploy wall time, phoenix / docker stack deploy with the same networks",
            value: phoenixMedian / median(envnet.ms),
            unit: "x",
            note: `docker stack deploy of the stack with ${ENV_NETWORK} (external) added to every service, the networks Phoenix gives its tasks: ${envnet.ms.map((t) => t.toFixed(0)).join(", ")} ms (median ${median(envnet.ms).toFixed(0)} ms); what is left of the ratio is Phoenix's own overhead (CLI, coordinator, agent)`,
          }),
        ]
      : []),
    ...(o.environmentInUse
      ? [
          figure({
            id: "deploy.environment-in-use",
            section: SECTION,
            label: "deploy wall time, phoenix / docker stack deploy, environment already in use",
            value: median(inUse.phoenix) / median(inUse.docker),
            unit: "x",
            note:
              `the same deploys from nothing while a global service on ${ENV_NETWORK} runs on every node, as when other stacks of the environment are deployed: ` +
              `the environment network is then set up on each node already, the stack's own networks are not (for either tool). ` +
              `phoenix: ${inUse.phoenix.map((t) => t.toFixed(0)).join(", ")} ms, docker: ${inUse.docker.map((t) => t.toFixed(0)).join(", ")} ms (medians ${median(inUse.phoenix).toFixed(0)} and ${median(inUse.docker).toFixed(0)} ms)`,
          }),
        ]
      : []),
    figure({
      id: "deploy.noop.ms",
      section: SECTION,
      label: "no-op re-deploy: phoenix swarm deploy wall time (median)",
      value: median(noop.phoenixMs),
      unit: "ms",
      reference: { label: "docker stack deploy", value: median(dockerAgain.ms), unit: "ms" },
      budget: NOOP_BUDGET_MS,
      note:
        `the CLI process from start to exit, stack unchanged and running: ${noop.phoenixMs.map((t) => t.toFixed(0)).join(", ")} ms, ` +
        `next to the same re-run of docker stack deploy; \`phoenix --version\` alone (process start and bundle load) took ${median(noop.versionMs).toFixed(0)} ms (median)`,
    }),
    figure({
      id: "deploy.noop.api",
      section: SECTION,
      label: "no-op re-deploy: the DeployStack call alone (median)",
      value: median(noop.apiMs),
      unit: "ms",
      note: "ClusterService.DeployStack from this process to its result, without starting a CLI process: the coordinator's and the manager agent's share",
    }),
    figure({
      id: "deploy.noop.writes",
      section: SECTION,
      label: "no-op re-deploy: Docker writes by phoenix (most of any run)",
      value: Math.max(...noop.phoenixWrites),
      unit: "writes",
      reference: { label: "docker stack deploy", value: Math.max(...dockerAgain.writes), unit: "writes" },
      budget: NOOP_WRITES_BUDGET,
      ciLimit: NOOP_WRITES_BUDGET,
      note:
        `${WRITE_TYPES.join("/")} events on the manager's engine (GET /events) during each re-deploy (CLI and API); ` +
        `phoenix also reported dockerWrites = ${noop.reported.join(", ")}. A write is never noise, so the CI limit is the budget itself`,
    }),
  ];
}
