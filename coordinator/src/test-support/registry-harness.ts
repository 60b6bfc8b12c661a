import { Writable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { AgentService, addService, DockerStatus, SwarmLocalState, serverCredentials } from "@phoenix/proto";
import { createLogger, type Logger } from "../logger";
import { createManagerAccess, type ManagerAccess } from "../manager-access";
import { createRegistry, type Registry } from "../registry";
import { Secret } from "../secret";
import { type ScriptedAgent, type ScriptedAgentOptions, startScriptedAgent } from "./scripted-agent";

const TOKEN = "enroll-harness-0123456789";

/** A registry served over real gRPC on loopback, with scripted agents dialling it. */
export interface RegistryHarness {
  registry: Registry;
  managers: ManagerAccess;
  logger: Logger;
  /** Every log line written so far. */
  logs: string[];
  /** Starts a scripted agent; `manager` makes its engine an active swarm manager with that node id. */
  agent(
    o: Partial<ScriptedAgentOptions> & { agentId: string; hostname: string; manager?: string },
  ): ScriptedAgent;
  stop(): Promise<void>;
}

/** Starts a registry (the agents are matched to nobody: each is known by its hostname). */
export async function startRegistryHarness(): Promise<RegistryHarness> {
  const logs: string[] = [];
  const logger = createLogger(
    "debug",
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const registry = createRegistry({
    enrollmentToken: new Secret(TOKEN),
    heartbeatIntervalMs: 200,
    heartbeatTtlMs: 600,
    heartbeatGraceMs: 400,
    cluster: () => "harness",
    match: () => ({ guest: "", inModel: false, adopted: false }),
    logger,
  });
  const server = new grpc.Server();
  addService(server, AgentService, { session: (call) => registry.session(call) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", serverCredentials(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const agents: ScriptedAgent[] = [];
  return {
    registry,
    managers: createManagerAccess(registry),
    logger,
    logs,
    agent({ hostname, manager, ...o }) {
      const docker = manager
        ? { status: DockerStatus.OK, swarmState: SwarmLocalState.ACTIVE, manager: true, nodeId: manager }
        : { status: DockerStatus.OK, swarmState: SwarmLocalState.INACTIVE };
      const a = startScriptedAgent(`127.0.0.1:${port}`, {
        token: TOKEN,
        inventory: { host: { hostname }, docker },
        ...o,
      });
      agents.push(a);
      return a;
    },
    async stop() {
      await registry.close();
      for (const a of agents) a.close();
      server.forceShutdown();
    },
  };
}
