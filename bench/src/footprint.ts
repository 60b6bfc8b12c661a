import type { ChildProcess } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { nvidiaSmiFixture, writeSimulatedNvidiaSmi } from "@phoenix/hardware";
import { makeTestTls } from "../../packages/proto/src/test-tls";
import { AGENT_BUNDLE, agentNodeFlags, bundleHelper, COORDINATOR_BUNDLE } from "./bundle";
import { spawnNode, stopChild, waitUntil } from "./child";
import { emptyModel, listeningAddress, prepareCoordinator } from "./coordinator-files";
import { type DockerTap, engineCostMs, startDockerTap } from "./docker-tap";
import { type Figure, figure } from "./figures";
import { measureProcesses } from "./proc-usage";

/** Options of the footprint benchmark. */
export interface FootprintOptions {
  /** Length of the measurement window. */
  windowMs: number;
  /** Time the agent runs connected before the window opens (startup done, first heartbeats sent). */
  settleMs: number;
  /** Scratch directory. */
  dir: string;
  /**
   * Docker socket the agent reads, what it is (for the report) and the pid of the dockerd behind it:
   * with a pid, what the agent asks of the engine and the engine's CPU for it are measured too.
   */
  docker: { socket: string; what: string; pid?: number | undefined };
}

const SECTION = "1. agent footprint";
/** Budgets of an idle, connected agent (issue 7). */
/** The issue's 50 MB (10^6 bytes), in MiB as the table shows RSS: 47.7 MiB. */
export const AGENT_RSS_BUDGET_MIB = 50e6 / 2 ** 20;
export const AGENT_CPU_BUDGET_PERCENT = 0.5;
/** The floor: a Node process that does nothing. */
export const BARE_NODE = "setInterval(() => {}, 1e6)";
/**
 * A Node process that has loaded only the built-in modules the agent cannot do without: node:net (its
 * HTTP/2 connection to the coordinator) and node:child_process (nvidia-smi), with the agent's node flags.
 */
export const BUILTINS_NODE = 'require("node:net"); require("node:child_process"); setInterval(() => {}, 1e6)';
/** The capture the simulated GPU prints. */
const GPU_CAPTURE = "tesla-t4-passthrough-515.xml";

/**
 * Agent footprint: the shipped agent bundle (`phoenix-agent run`) connected to the shipped
 * coordinator bundle over loopback, as a GPU guest (simulated nvidia-smi printing a real capture),
 * measured over a window next to a bare `node -e 'setInterval(()=>{},1e6)'` started at the same
 * time and measured over the same window.
 */
export async function benchFootprint(o: FootprintOptions): Promise<Figure[]> {
  const nvidiaSmi = await writeSimulatedNvidiaSmi(o.dir, { xmlFile: nvidiaSmiFixture(GPU_CAPTURE) });
  const tls = makeTestTls("phoenix-bench-tls-");
  const children: ChildProcess[] = [];
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  const nodeFlags = agentNodeFlags();

  /** A coordinator bundle with an empty model; resolves its token files and the address it listens on. */
  const startCoordinator = async (name: string, extra: string[]) => {
    const files = await prepareCoordinator(join(o.dir, name), emptyModel("footprint"));
    let address: string | undefined;
    children.push(
      spawnNode(COORDINATOR_BUNDLE, files.flags("127.0.0.1:0", ["--log-level", "info", ...extra]), {
        logFile: join(o.dir, `${name}.log`),
        onStderrLine: (line) => {
          address ??= listeningAddress(line);
        },
      }),
    );
    await waitUntil(() => address !== undefined, 30_000, `the ${name} to listen`);
    return { files, address: address! };
  };

  /** The shipped agent bundle as the unit runs it, as a GPU guest on the lab's Docker socket. */
  const startAgent = async (
    id: string,
    coordinator: string,
    tokenFile: string,
    extra: string[],
    dockerSocket = o.docker.socket,
  ) => {
    const stateDir = join(o.dir, `${id}-state`);
    await mkdir(stateDir, { recursive: true });
    let connected = false;
    const child = spawnNode(
      AGENT_BUNDLE,
      [
        "run",
        "--coordinator",
        coordinator,
        "--enrollment-token-file",
        tokenFile,
        "--agent-id",
        id,
        "--docker-socket",
        dockerSocket,
        "--nvidia-smi",
        nvidiaSmi,
        "--state-dir",
        stateDir,
        "--log-level",
        "info",
        ...extra,
      ],
      {
        env,
        nodeArgs: nodeFlags,
        logFile: join(o.dir, `${id}.log`),
        onStderrLine: (line) => {
          if (line.includes('"connected to the coordinator"')) connected = true;
        },
      },
    );
    children.push(child);
    return { pid: child.pid!, connected: () => connected };
  };

  let tap: DockerTap | undefined;
  try {
    // The plain agent reaches the engine through a tap that counts what it asks.
    if (o.docker.pid) tap = await startDockerTap(o.docker.socket, join(o.dir, "docker-tap.sock"));
    const plain = await startCoordinator("coordinator", []);
    const secure = await startCoordinator("coordinator-tls", [
      "--tls-cert",
      tls.certFile,
      "--tls-key",
      tls.keyFile,
    ]);
    const port = secure.address.slice(secure.address.lastIndexOf(":") + 1);
    const agent = await startAgent(
      "bench-footprint",
      plain.address,
      plain.files.enrollmentTokenFile,
      [],
      tap?.path,
    );
    const tlsAgent = await startAgent(
      "bench-footprint-tls",
      `localhost:${port}`,
      secure.files.enrollmentTokenFile,
      ["--tls-ca", tls.caFile],
    );
    // spawnNode runs `node <script> <args>`: with "-e" the argument is the code to evaluate.
    const floor = spawnNode("-e", [BARE_NODE], { env });
    const builtins = spawnNode("-e", [BUILTINS_NODE], { env, nodeArgs: nodeFlags });
    let sessionUp = false;
    const session = spawnNode(
      await bundleHelper("src/fanout/grpc-floor.ts"),
      ["session", plain.address, plain.files.enrollmentTokenFile, "bench-session-floor"],
      {
        env,
        nodeArgs: nodeFlags,
        logFile: join(o.dir, "session-floor.log"),
        onStderrLine: (line) => {
          if (line.includes("connected to the coordinator")) sessionUp = true;
        },
      },
    );
    children.push(floor, builtins, session);
    await waitUntil(
      () => agent.connected() && tlsAgent.connected() && sessionUp,
      30_000,
      "the agents and the bare session to connect",
    );
    await new Promise((r) => setTimeout(r, o.settleMs));
    const asked = tap?.counts();
    const [a, f, s, b, t] = await measureProcesses(
      [agent.pid, floor.pid!, session.pid!, builtins.pid!, tlsAgent.pid],
      o.windowMs,
    );
    const window = `${(o.windowMs / 1000).toFixed(0)} s`;
    const engine: Figure[] = [];
    if (tap && asked && o.docker.pid) {
      const calls = [...tap.counts()]
        .map(([call, n]) => [call, n - (asked.get(call) ?? 0)] as const)
        .filter(([, n]) => n > 0);
      // What one call costs the engine, measured on it now: a few of each, one after another.
      const cost = new Map<string, number>();
      for (const [call] of calls) {
        const [method, path] = call.split(" ");
        if (method === "GET") cost.set(call, await engineCostMs(o.docker.pid, o.docker.socket, path!, 10));
      }
      const engineMs = calls.reduce((sum, [call, n]) => sum + n * (cost.get(call) ?? 0), 0);
      const said = calls.map(([call, n]) => {
        const each = cost.get(call);
        return `${n} x ${call} (${each === undefined ? "cost not measured" : `${each.toFixed(1)} ms each`})`;
      });
      engine.push(
        figure({
          id: "footprint.agent.engine-cpu",
          section: SECTION,
          label: `Docker engine CPU the idle agent asks for over ${window}`,
          value: (engineMs / 1000 / a!.seconds) * 100,
          unit: "%core",
          reference: { label: "the agent itself", value: a!.cpuPercent, unit: "%core" },
          note:
            `what the agent asked of the engine over the window, counted by a socket in front of ${o.docker.what}: ` +
            `${said.join(", ") || "nothing"}; each call's cost measured on the same engine after the window ` +
            "(its CPU across at least 10 such calls, or as many as fit in 300 ms, with the runc and docker-init runs it waits for). The agent pings the engine on each heartbeat " +
            "and reads GET /info when 30 s have passed and after its own swarm commands; the periodic inventory reads GET /info every 60 s. " +
            "On Docker 20.10 each GET /info (and GET /version) runs runc --version and docker-init --version",
        }),
      );
    }
    return [
      figure({
        id: "footprint.agent.rss",
        section: SECTION,
        label: `idle connected agent: RSS, peak over ${window}`,
        value: a!.rssPeakMiB,
        unit: "MiB",
        reference: { label: "bare node", value: f!.rssPeakMiB, unit: "MiB" },
        budget: AGENT_RSS_BUDGET_MIB,
        note:
          `agents/node-agent/dist/phoenix-agent.mjs run, connected over loopback to coordinator/dist/phoenix-coordinator.mjs ` +
          `(heartbeat 5 s); Docker socket: ${o.docker.what}; GPU guest (simulated nvidia-smi printing ${GPU_CAPTURE}). ` +
          `Measured ${(o.settleMs / 1000).toFixed(0)} s after it connected; VmRSS read every second (agent mean ${a!.rssMeanMiB.toFixed(1)} MiB, peak ${a!.rssPeakAtS.toFixed(0)} s into the window; ` +
          `bare node mean ${f!.rssMeanMiB.toFixed(1)} MiB). MiB = 2^20 bytes; the budget is 50 MB = 47.7 MiB`,
      }),
      figure({
        id: "footprint.agent-tls.rss",
        section: SECTION,
        label: "the same agent over TLS: RSS, peak",
        value: t!.rssPeakMiB,
        unit: "MiB",
        reference: { label: "bare node", value: f!.rssPeakMiB, unit: "MiB" },
        note:
          `beside it, the same bundle connected over TLS (--tls-ca of a self-made CA) to a second coordinator bundle (--tls-cert/--tls-key), ` +
          `measured over the same window (mean ${t!.rssMeanMiB.toFixed(1)} MiB, CPU ${t!.cpuPercent.toFixed(2)} %): node:tls and its OpenSSL state are loaded only with TLS`,
      }),
      figure({
        id: "footprint.session.rss",
        section: SECTION,
        label: "bare grpc-js session beside it: RSS, peak",
        value: s!.rssPeakMiB,
        unit: "MiB",
        reference: { label: "bare node", value: f!.rssPeakMiB, unit: "MiB" },
        note:
          `bench/src/fanout/grpc-floor.ts session: one AgentService.Session to the same coordinator through @phoenix/proto's grpc-js client, ` +
          `Hello with an empty inventory and heartbeats, no agent code (no hardware, Docker, executor, config or logger): ` +
          `what the transport alone costs, measured over the same window (CPU ${s!.cpuPercent.toFixed(2)} %)`,
      }),
      figure({
        id: "footprint.builtins.rss",
        section: SECTION,
        label: "node with only net and child_process loaded: RSS, peak",
        value: b!.rssPeakMiB,
        unit: "MiB",
        reference: { label: "bare node", value: f!.rssPeakMiB, unit: "MiB" },
        note:
          `node ${nodeFlags.join(" ")} -e '${BUILTINS_NODE}', over the same window: the floor of a Node agent that holds a TCP connection ` +
          "and runs nvidia-smi, before a line of its own code",
      }),
      figure({
        id: "footprint.agent.cpu",
        section: SECTION,
        label: `idle connected agent: CPU over ${window}`,
        value: a!.cpuPercent,
        unit: "%core",
        reference: { label: "bare node", value: f!.cpuPercent, unit: "%core" },
        budget: AGENT_CPU_BUDGET_PERCENT,
        note: `utime+stime from /proc/<pid>/stat over the window: agent ${a!.cpuMs.toFixed(0)} ms, bare node ${f!.cpuMs.toFixed(0)} ms of CPU in ${a!.seconds.toFixed(1)} s${o.windowMs < 60_000 ? "; a window under 60 s may miss the agent's periodic inventory refresh (every 60 s)" : ""}`,
      }),
      ...engine,
    ];
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
    await tap?.close();
    await rm(tls.dir, { recursive: true, force: true });
  }
}
