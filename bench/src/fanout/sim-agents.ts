/**
 * Load generator: many simulated agents in one process, each a real gRPC session to the
 * coordinator over its own TCP connection, run by the agent's own session code (createSession)
 * and executor (createExecutor, which answers ping without touching Docker). Only the hardware is
 * not collected: every simulated agent reports a real inventory captured from this machine with
 * its own hostname and machine id.
 */
import { clone, fromJson, type Inventory, InventorySchema } from "@phoenix/proto";
import pino from "pino";
import { createExecutor } from "../../../agents/node-agent/src/executor";
import {
  type AgentSession,
  createSession,
  type InventorySource,
} from "../../../agents/node-agent/src/session";
import { AGENT_VERSION } from "../../../agents/node-agent/src/version";
import type { LoadReply, LoadRequest } from "./messages";

const reply = (m: LoadReply) => process.send!(m);
const log = pino({ name: "sim-agents", level: "warn" }, pino.destination({ dest: 2, sync: true }));
const sessions = new Map<number, AgentSession>();
let config: Extract<LoadRequest, { type: "init" }> | undefined;
let base: Inventory | undefined;

function inventoryOf(id: string): InventorySource {
  const inv = clone(InventorySchema, base!);
  if (inv.host) {
    inv.host.hostname = id;
    inv.host.machineId = id;
  }
  return {
    current: async () => inv,
    refresh: async () => inv,
    dockerState: async () => inv.docker!,
    onChange: () => () => {},
  };
}

function startOne(index: number): AgentSession {
  const c = config!;
  const id = `${c.prefix}${index}`;
  const agentLog = log.child({ agent: id });
  const session = createSession({
    coordinator: c.coordinator,
    enrollmentToken: c.enrollmentToken,
    agentId: id,
    agentVersion: AGENT_VERSION,
    inventory: inventoryOf(id),
    executor: createExecutor({
      docker: () => Promise.reject(new Error("simulated agents have no Docker engine")),
      refreshInventory: async () => base!,
      log: agentLog,
    }),
    log: agentLog,
  });
  session.start();
  return session;
}

const connectedCount = () => {
  let n = 0;
  for (const s of sessions.values()) if (s.status().connected) n++;
  return n;
};

async function connect(indexes: readonly number[], wave: number, timeoutMs: number): Promise<void> {
  const start = performance.now();
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < indexes.length; i += wave) {
    const batch = indexes.slice(i, i + wave).map((index) => {
      const s = sessions.get(index) ?? startOne(index);
      sessions.set(index, s);
      return s;
    });
    while (!batch.every((s) => s.status().connected)) {
      if (Date.now() > deadline) {
        const up = batch.filter((s) => s.status().connected).length;
        throw new Error(
          `only ${connectedCount()} of ${sessions.size} sessions connected after ${((performance.now() - start) / 1000).toFixed(0)} s (${up}/${batch.length} of the last wave)`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  reply({
    type: "connected",
    sessions: sessions.size,
    connected: connectedCount(),
    ms: performance.now() - start,
  });
}

process.on("message", (m: LoadRequest) => {
  const run = async () => {
    switch (m.type) {
      case "init":
        config = m;
        base = fromJson(InventorySchema, m.inventory as never);
        return reply({ type: "ready" });
      case "connect":
        return connect(m.indexes, m.wave, m.timeoutMs);
      case "stop":
        await Promise.all([...sessions.values()].map((s) => s.stop()));
        reply({ type: "stopped" });
        setTimeout(() => process.exit(0), 300).unref();
    }
  };
  run().catch((err: Error) => reply({ type: "error", error: err.message }));
});
process.on("disconnect", () => process.exit(0));
