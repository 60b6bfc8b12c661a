import { clientTls } from "@phoenix/proto";
import type { SelfUpdate } from "./commands/agent-update";
import { type AgentConfig, describeConfig } from "./config";
import { createDockerProvider } from "./docker";
import { createExecutor } from "./executor";
import { createInventorySource } from "./inventory-source";
import type { Logger } from "./logger";
import { type AgentSession, createSession } from "./session";
import { AGENT_VERSION } from "./version";

/** A running agent: its session and inventory, stopped together. */
export interface RunningAgent {
  readonly session: AgentSession;
  stop(): Promise<void>;
}

/**
 * Starts the agent: inventory manager, executor and the session with the coordinator. With
 * `selfUpdate`, the coordinator can have it replace its bundle and restart (phoenix agents update).
 */
export async function startAgent(
  config: AgentConfig,
  log: Logger,
  selfUpdate?: SelfUpdate,
): Promise<RunningAgent> {
  // First, so unreadable TLS files are a configuration error before anything starts.
  const tls = clientTls(config.tls);
  const hw = await import("@phoenix/hardware");
  const hwOptions = {
    nvidiaSmiPath: config.nvidiaSmi,
    dockerSocket: config.dockerSocket,
    vmid: config.vmid,
    logger: log.child({ component: "inventory" }),
  };
  const manager = hw.createInventoryManager(hwOptions);
  const dockerProbe = hw.createDockerProbe({ dockerSocket: config.dockerSocket, dockerTimeoutMs: 2_000 });
  const inventory = createInventorySource(manager, dockerProbe, hw.significantInventory);

  let session: AgentSession | undefined;
  const executor = createExecutor({
    docker: createDockerProvider(config.dockerSocket),
    refreshInventory: () => session!.refreshInventory(),
    onSwarmChanged: () => {
      dockerProbe.invalidate();
      manager.refresh().catch((err) => log.warn({ err: String(err) }, "inventory refresh failed"));
    },
    log: log.child({ component: "executor" }),
    stateDir: config.stateDir,
    ...(selfUpdate ? { selfUpdate } : {}),
  });
  session = createSession({
    coordinator: config.coordinator,
    tls,
    enrollmentToken: config.enrollmentToken,
    agentId: config.agentId,
    agentVersion: AGENT_VERSION,
    inventory,
    executor,
    log: log.child({ component: "session" }),
  });
  log.info({ version: AGENT_VERSION, config: describeConfig(config) }, "phoenix-agent starting");
  session.start();
  return {
    session,
    async stop() {
      await session!.stop();
      manager.stop();
    },
  };
}
