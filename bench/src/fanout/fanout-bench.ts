import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { bundleHelper } from "../bundle";
import { exited, request, spawnNode, stopChild, waitUntil } from "../child";
import { emptyModel, prepareCoordinator } from "../coordinator-files";
import { type Figure, figure, skipped } from "../figures";
import { captureInventory } from "../inventory";
import { CLK_TCK, measureProcesses, readProcess, type Usage } from "../proc-usage";
import { median, percentile } from "../stats";
import type { HostReply, RegistryStats } from "./messages";

/** Options of the fan-out benchmark. */
export interface FanoutOptions {
  /** Agent counts to reach, in increasing order, e.g. [100, 1000, 10000]. */
  counts: readonly number[];
  /** Counts at which the bare grpc-js floor is measured too. */
  floorCounts: readonly number[];
  /** Timed ping rounds per count. */
  rounds: number;
  /** Untimed rounds before them, so the measured ones run on warmed-up (JIT-compiled) code. */
  warmups: number;
  /** Length of the idle measurement at the largest count reached. */
  idleMs: number;
  /** Load generator processes the simulated agents are spread over. */
  processes: number;
  /** Scratch directory (coordinator model and state, logs). */
  dir: string;
}

const SECTION = "2. fan-out";
/** p99 budget of a ping fanned out to 1,000 agents (issue 7). */
export const FANOUT_P99_BUDGET_MS = 100;
/** Budgets of the coordinator with 10,000 idle agents (issue 7). */
export const COORDINATOR_RSS_BUDGET_MIB = 1024;
export const COORDINATOR_CPU_BUDGET_PERCENT = 50;
/** Open files each process may hold: one socket per agent plus the usual. */
const NOFILE = 65_536;
/** Extra warm-up rounds of the bare grpc-js floor (measured first, in fresh processes). */
const FLOOR_EXTRA_WARMUPS = 5;
/** Quiet time between the last agent connecting and the idle measurement. */
const IDLE_SETTLE_MS = 10_000;
/** Agents each load generator connects at once before waiting for them. */
const WAVE = 100;

type Pinged = Extract<HostReply, { type: "pinged" }> & { simCpuMs: number };

const fmt = (n: number) => n.toLocaleString("en-US");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${type} message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: { type?: string; error?: string }) => {
      if (m.type !== type && m.type !== "error") return;
      done();
      if (m.type === "error") reject(new Error(m.error));
      else resolve(m as T);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`the process exited (code ${code}) before ${type}`));
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Indexes i in [from, to) dealt round-robin to `parts` lists, as each part's local index. */
function deal(from: number, to: number, parts: number): number[][] {
  const out: number[][] = Array.from({ length: parts }, () => []);
  for (let i = from; i < to; i++) out[i % parts]!.push(Math.floor(i / parts));
  return out;
}

/** Fans a ping out `warmups + rounds` times; returns the timed rounds with the load generators' CPU. */
async function pingRounds(
  server: ChildProcess,
  clients: readonly ChildProcess[],
  n: number,
  o: { warmups: number; rounds: number },
): Promise<{ rounds: Pinged[]; cold: Pinged }> {
  const rounds: Pinged[] = [];
  let cold: Pinged | undefined;
  for (let r = 0; r < o.warmups + o.rounds; r++) {
    const before = clients.map((c) => readProcess(c.pid!)?.cpuTicks ?? 0);
    const res = await request<Pinged>(server, { type: "ping", timeoutMs: 60_000 }, "pinged", 120_000);
    const ticks = clients.reduce((a, c, i) => a + (readProcess(c.pid!)?.cpuTicks ?? 0) - before[i]!, 0);
    res.simCpuMs = (ticks * 1000) / CLK_TCK;
    if (res.failures > 0) throw new Error(`${res.failures} of ${n} pings failed: ${res.firstFailure}`);
    if (res.rtts.length !== n) throw new Error(`${res.rtts.length} of ${n} agents answered the ping`);
    cold ??= res;
    if (r >= o.warmups) rounds.push(res);
    await sleep(200);
  }
  return { rounds, cold: cold! };
}

/** The same fan-out over bare grpc-js (bench/src/fanout/grpc-floor.ts): what the transport alone costs. */
async function measureFloor(script: string, n: number, o: FanoutOptions): Promise<Pinged[]> {
  const children: ChildProcess[] = [];
  try {
    const server = spawnNode(script, ["server"], {
      ipc: true,
      nofile: NOFILE,
      logFile: join(o.dir, "floor.log"),
    });
    children.push(server);
    const { address } = await waitMessage<{ address: string }>(server, "ready", 30_000);
    const shares = deal(0, n, o.processes).map((s) => s.length);
    const clients = shares.map((count) =>
      spawnNode(script, ["client", address, String(count)], {
        nofile: NOFILE,
        logFile: join(o.dir, "floor.log"),
      }),
    );
    children.push(...clients);
    await waitUntil(
      async () => (await request<RegistryStats>(server, { type: "stats" }, "stats", 10_000)).connected >= n,
      60_000,
      `${n} bare grpc-js streams`,
      200,
    );
    await sleep(1_000);
    // Fresh processes: more warm-up than the coordinator, whose code paths earlier counts already warmed.
    return (
      await pingRounds(server, clients, n, { warmups: o.warmups + FLOOR_EXTRA_WARMUPS, rounds: o.rounds })
    ).rounds;
  } finally {
    await Promise.all(children.map((c) => stopChild(c, 2_000)));
  }
}

/** The q-th percentile of each round, then the median over the rounds (one round stalled by another process on the machine does not decide it). */
const p = (rounds: readonly Pinged[], q: number) => median(rounds.map((r) => percentile(r.rtts, q)));
const worst = (rounds: readonly Pinged[], q: number) => Math.max(...rounds.map((r) => percentile(r.rtts, q)));

/**
 * Fan-out: the coordinator (bench/src/fanout/coordinator-host.ts: the real coordinator, in its own
 * process, listening on loopback) and load generators whose simulated agents each hold a real gRPC
 * session of their own. For each count, the coordinator sends the no-op ping to every connected
 * agent at once through its registry and waits for every result; at some counts the same fan-out
 * over bare grpc-js is measured first, as the floor. At the largest count reached, the coordinator's
 * RSS and CPU are measured while the agents idle (heartbeats only).
 */
export async function benchFanout(o: FanoutOptions): Promise<Figure[]> {
  const [hostScript, simScript, floorScript] = await Promise.all([
    bundleHelper("src/fanout/coordinator-host.ts"),
    bundleHelper("src/fanout/sim-agents.ts"),
    bundleHelper("src/fanout/grpc-floor.ts"),
  ]);
  const floors = new Map<number, Pinged[]>();
  for (const n of o.floorCounts) floors.set(n, await measureFloor(floorScript, n, o));

  const files = await prepareCoordinator(join(o.dir, "coordinator"), emptyModel("fanout"));
  const inventory = await captureInventory(join(o.dir, "no-docker.sock"));
  // The simulated agents report an engine that answers and is in no swarm.
  inventory.docker = { status: "DOCKER_STATUS_OK", swarmState: "SWARM_LOCAL_STATE_INACTIVE" };

  const figures: Figure[] = [];
  const children: ChildProcess[] = [];
  try {
    const host = spawnNode(hostScript, files.flags("127.0.0.1:0", ["--log-level", "info"]), {
      ipc: true,
      nofile: NOFILE,
      logFile: join(o.dir, "coordinator.log"),
    });
    children.push(host);
    const { address } = await waitMessage<{ address: string }>(host, "ready", 30_000);
    const stats = () => request<RegistryStats>(host, { type: "stats" }, "stats", 30_000);

    const sims = Array.from({ length: o.processes }, (_, i) =>
      spawnNode(simScript, [], { ipc: true, nofile: NOFILE, logFile: join(o.dir, `sim-agents-${i}.log`) }),
    );
    children.push(...sims);
    await Promise.all(
      sims.map((s, i) =>
        request(
          s,
          {
            type: "init",
            coordinator: address,
            enrollmentToken: files.enrollmentToken,
            inventory,
            prefix: `sim-${i}-`,
          },
          "ready",
          30_000,
        ),
      ),
    );

    let reached = 0;
    let stoppedWhy: string | undefined;
    let idle: { coord: Usage; gens: Usage[]; connected: number } | undefined;
    const measureIdle = async () => {
      await sleep(IDLE_SETTLE_MS);
      const [coord, ...gens] = await measureProcesses([host.pid!, ...sims.map((s) => s.pid!)], o.idleMs);
      // After a count that was not reached, more sessions than `reached` may be up: say how many.
      return { coord: coord!, gens, connected: (await stats()).connected };
    };
    for (const n of o.counts) {
      const connectStart = performance.now();
      try {
        const shares = deal(reached, n, sims.length);
        const timeoutMs = 30_000 + n * 20;
        await Promise.all(
          sims.map((s, i) =>
            request(
              s,
              { type: "connect", indexes: shares[i]!, wave: WAVE, timeoutMs },
              "connected",
              // The load generators give up first and say how many sessions they have; this is the backstop.
              timeoutMs + 60_000,
            ),
          ),
        );
        await waitUntil(
          async () => (await stats()).connected >= n,
          30_000,
          `${fmt(n)} agents in the registry`,
          200,
        );
      } catch (err) {
        stoppedWhy = `stopped before ${fmt(n)} agents: ${(err as Error).message}`;
        break;
      }
      const connectS = (performance.now() - connectStart) / 1000;
      reached = n;
      // Idle figures at the largest count: agents connected and heartbeating, no command yet.
      if (n === o.counts[o.counts.length - 1]) idle = await measureIdle();
      await sleep(1_000);

      const { rounds, cold } = await pingRounds(host, sims, n, o);
      const floor = floors.get(n);
      const at = `${fmt(n)} agents`;
      const ref = (q: number) =>
        floor ? { label: "bare grpc-js", value: p(floor, q), unit: "ms" as const } : undefined;
      figures.push(
        figure({
          id: `fanout.n${n}.p50`,
          section: SECTION,
          label: `ping to ${at}: p50 round trip`,
          value: p(rounds, 50),
          unit: "ms",
          reference: ref(50),
          note:
            n === o.counts[0]
              ? `round trip = from the moment the coordinator starts sending the ping to every agent until that agent's result is back in its registry; ` +
                `p50 and p99 of each of ${o.rounds} rounds (after ${o.warmups} warm-up rounds), median over the rounds. Simulated agents: ${o.processes} load-generator processes on the same 2 cores ` +
                `running the agent's own createSession + createExecutor, a TCP connection each, over loopback. ` +
                `"bare grpc-js": the same stream and messages with neither the registry nor the agent's session code (bench/src/fanout/grpc-floor.ts), measured in this run`
              : undefined,
        }),
        figure({
          id: `fanout.n${n}.p99`,
          section: SECTION,
          label: `ping to ${at}: p99 round trip`,
          value: p(rounds, 99),
          unit: "ms",
          reference: ref(99),
          budget: n === 1_000 ? FANOUT_P99_BUDGET_MS : undefined,
          note: `worst round: p99 ${worst(rounds, 99).toFixed(0)} ms; first (cold) round: p99 ${percentile(cold.rtts, 99).toFixed(0)} ms; connecting ${at} took ${connectS.toFixed(1)} s (waves of ${WAVE} per load generator)`,
        }),
        figure({
          id: `fanout.n${n}.cpu`,
          section: SECTION,
          label: `ping to ${at}: coordinator CPU per fan-out`,
          value: median(rounds.map((r) => r.cpuMs)),
          unit: "ms",
          reference: floor
            ? { label: "bare grpc-js server", value: median(floor.map((r) => r.cpuMs)), unit: "ms" }
            : undefined,
          note: `CPU time of the whole process during a fan-out (median); the load generators meanwhile: ${median(rounds.map((r) => r.simCpuMs)).toFixed(0)} ms${floor ? ` (bare grpc-js clients: ${median(floor.map((r) => r.simCpuMs)).toFixed(0)} ms)` : ""}`,
        }),
      );
    }

    if (reached > 0) {
      idle ??= await measureIdle();
      const rssAfter = (readProcess(host.pid!)?.rssKiB ?? 0) / 1024;
      const { coord, gens, connected } = idle;
      const full = connected >= 10_000;
      const at = `${fmt(connected)} idle agents`;
      const genRss = gens.reduce((a, g) => a + g.rssPeakMiB, 0);
      const genCpu = gens.reduce((a, g) => a + g.cpuPercent, 0);
      figures.push(
        figure({
          id: "fanout.idle.rss",
          section: SECTION,
          label: `coordinator RSS with ${at} (peak)`,
          value: coord.rssPeakMiB,
          unit: "MiB",
          budget: full ? COORDINATOR_RSS_BUDGET_MIB : undefined,
          note:
            `over ${coord.seconds.toFixed(0)} s with heartbeats every 5 s (the default), ${IDLE_SETTLE_MS / 1000} s after the last agent connected and before any ping at that count; ` +
            `after the ping rounds the coordinator held ${rssAfter.toFixed(0)} MiB (V8 keeps a heap grown by a burst for a while). ` +
            `The load generators meanwhile: ${genRss.toFixed(0)} MiB, ${genCpu.toFixed(1)} % of a core in all`,
        }),
        figure({
          id: "fanout.idle.cpu",
          section: SECTION,
          label: `coordinator CPU with ${at}`,
          value: coord.cpuPercent,
          unit: "%core",
          budget: full ? COORDINATOR_CPU_BUDGET_PERCENT : undefined,
        }),
      );
    }
    if (stoppedWhy) {
      figures.push(
        skipped(
          {
            id: "fanout.limit",
            section: SECTION,
            label: `largest fan-out reached: ${fmt(reached)} agents`,
            unit: "agents",
          },
          stoppedWhy,
        ),
      );
    }
    await Promise.all(
      sims.map((s) => request(s, { type: "stop" }, "stopped", 60_000).catch(() => undefined)),
    );
    await request(host, { type: "stop" }, "never", 15_000).catch(() => undefined);
  } finally {
    await Promise.all(children.map((c) => stopChild(c, 5_000)));
    await Promise.all(children.map(exited));
  }
  return figures;
}
