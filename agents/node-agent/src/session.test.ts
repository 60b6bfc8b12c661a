import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  create,
  type DockerState,
  DockerStateSchema,
  DockerStatus,
  GoodbyeReason,
  type Inventory,
  InventorySchema,
  SwarmLocalState,
  timestampFromMs,
} from "@phoenix/proto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createBackoff } from "./backoff";
import { createDockerProvider, type Dockerode } from "./docker";
import { createExecutor } from "./executor";
import { createLogger } from "./logger";
import { type AgentSession, createSession, type InventorySource } from "./session";
import { startTestCoordinator, type TestCoordinator, waitFor } from "./test-coordinator";

const TOKEN = "enroll-7f3a9c1d5e";
const dir = mkdtempSync(join(tmpdir(), "phoenix-session-"));
/** Every log line of every session in this file, checked for the token at the end. */
const allLines: string[] = [];

/** The guest as the session sees it: a fixed inventory whose Docker state and changes the test drives. */
function guestInventory() {
  let docker: DockerState = create(DockerStateSchema, {
    status: DockerStatus.OK,
    engineVersion: "20.10.24",
    swarmState: SwarmLocalState.INACTIVE,
  });
  let inventory: Inventory = create(InventorySchema, {
    host: { hostname: "guest-a", machineId: "m-0001" },
    docker,
  });
  const listeners = new Set<(inv: Inventory, changed: string[]) => void>();
  let refreshes = 0;
  const source: InventorySource = {
    current: async () => inventory,
    refresh: async () => {
      refreshes++;
      return inventory;
    },
    dockerState: async () => docker,
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return {
    source,
    refreshes: () => refreshes,
    setDocker(d: Partial<DockerState>) {
      docker = create(DockerStateSchema, { ...docker, ...d });
    },
    change(next: Inventory, changed: string[]) {
      inventory = next;
      for (const l of listeners) l(next, changed);
    },
  };
}

const running: { session: AgentSession; coordinator?: TestCoordinator }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.session.stop();
    await r.coordinator?.stop();
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const leaked = allLines.filter((l) => l.includes(TOKEN));
  expect(leaked).toEqual([]);
});

async function start(
  opts: {
    coordinatorToken?: string;
    heartbeatMs?: number;
    agentToken?: string;
    slowRetryMs?: number;
    docker?: () => Promise<Dockerode>;
  } = {},
) {
  const coordinator = await startTestCoordinator({
    token: opts.coordinatorToken ?? TOKEN,
    heartbeatMs: opts.heartbeatMs ?? 100,
  });
  const guest = guestInventory();
  const lines: string[] = [];
  const log = createLogger("debug", {
    write: (s: string) => {
      lines.push(s);
      allLines.push(s);
    },
  });
  let session: AgentSession | undefined;
  const executor = createExecutor({
    docker: opts.docker ?? createDockerProvider(join(dir, "no-docker.sock")),
    refreshInventory: () => session!.refreshInventory(),
    log,
    stateDir: join(dir, `state-${Math.random()}`),
  });
  session = createSession({
    coordinator: coordinator.address,
    enrollmentToken: opts.agentToken ?? TOKEN,
    agentVersion: "9.9.9",
    inventory: guest.source,
    executor,
    log,
    slowRetryMs: opts.slowRetryMs,
  });
  session.start();
  running.push({ session, coordinator });
  return { coordinator, guest, session, lines, executor };
}

/** A session to `address` with no coordinator of the tests' own behind it; returns its log lines. */
function dialSession(address: string, extra: Partial<Parameters<typeof createSession>[0]>): string[] {
  const lines: string[] = [];
  const session = createSession({
    coordinator: address,
    enrollmentToken: TOKEN,
    agentVersion: "1",
    inventory: guestInventory().source,
    executor: createExecutor({
      docker: createDockerProvider(join(dir, "no.sock")),
      refreshInventory: async () => create(InventorySchema, {}),
      log: createLogger("silent"),
    }),
    log: createLogger("debug", { write: (s: string) => lines.push(s) }),
    backoff: createBackoff({ initialMs: 10, maxMs: 20 }),
    ...extra,
  });
  session.start();
  running.push({ session });
  return lines;
}

describe("agent session over gRPC on loopback", () => {
  it("says Hello with identity, token, version, inventory and known keys, and gets Welcome", async () => {
    const { coordinator, session } = await start();
    const s = await waitFor(() => coordinator.live(), 5_000, "a session");
    expect(s.hello).toMatchObject({
      agentId: "m-0001",
      enrollmentToken: TOKEN,
      agentVersion: "9.9.9",
      knownIdempotencyKeys: [],
    });
    expect(s.hello?.inventory?.host?.hostname).toBe("guest-a");
    expect(s.hello?.inventory?.docker?.engineVersion).toBe("20.10.24");
    await waitFor(() => session.status().connected, 2_000, "connected");
    expect(session.status().sessionId).toBe(s.id);
  });

  it("heartbeats on the interval the coordinator returns, with the current Docker state", async () => {
    const { coordinator, guest } = await start({ heartbeatMs: 100 });
    const s = await waitFor(() => coordinator.live(), 5_000, "a session");
    await waitFor(() => s.heartbeats.length >= 3, 3_000, "3 heartbeats");
    guest.setDocker({ swarmState: SwarmLocalState.ACTIVE, nodeId: "node-xyz", manager: true });
    await waitFor(() => s.heartbeats.length >= 12, 6_000, "12 heartbeats");
    const seqs = s.heartbeats.map((h) => Number(h.heartbeat.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const gaps = s.heartbeats
      .slice(1)
      .map((h, i) => h.at - s.heartbeats[i]!.at)
      .sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    expect(median).toBeGreaterThanOrEqual(70);
    // Bounds wide enough for a loaded machine, and far from any other interval the agent knows.
    expect(median).toBeLessThanOrEqual(400);
    expect(s.heartbeats[0]!.heartbeat.docker?.swarmState).toBe(SwarmLocalState.INACTIVE);
    expect(s.heartbeats.at(-1)!.heartbeat.docker).toMatchObject({ nodeId: "node-xyz", manager: true });
    // A change of swarm membership seen by a heartbeat asks the inventory for a refresh at once.
    expect(guest.refreshes()).toBeGreaterThanOrEqual(1);
  });

  it("sends an InventoryUpdate as soon as the inventory changes", async () => {
    const { coordinator, guest } = await start({ heartbeatMs: 10_000 });
    const s = await waitFor(() => coordinator.live(), 5_000, "a session");
    const next = create(InventorySchema, {
      host: { hostname: "guest-a", machineId: "m-0001" },
      gpu: { error: "driver" },
    });
    const before = Date.now();
    guest.change(next, ["gpu"]);
    // Well before the next heartbeat (10 s), which would also carry it.
    const update = await waitFor(() => s.updates[0], 5_000, "an inventory update");
    expect(Date.now() - before).toBeLessThan(5_000);
    expect(update.changed).toEqual(["gpu"]);
    expect(update.inventory?.gpu?.error).toBe("driver");
  });

  it("runs commands and answers with results; a refresh also sends the inventory", async () => {
    const { coordinator } = await start();
    const ping = await coordinator.run({
      idempotencyKey: "",
      kind: { case: "ping", value: { payload: new Uint8Array([7]) } },
    });
    expect(ping.result.case).toBe("ping");
    expect([...(ping.result.value as { payload: Uint8Array }).payload]).toEqual([7]);
    const refresh = await coordinator.run({
      idempotencyKey: "ref-1",
      kind: { case: "refreshInventory", value: {} },
    });
    expect(refresh.result.case).toBe("refreshInventory");
    const s = coordinator.live()!;
    await waitFor(() => s.updates.length === 1, 2_000, "the refreshed inventory");
    const replay = await coordinator.run({
      idempotencyKey: "ref-1",
      kind: { case: "refreshInventory", value: {} },
    });
    expect(replay.replayed).toBe(true);
    const fail = await coordinator.run({ kind: { case: "swarmInit", value: {} } });
    expect(fail.error?.code).toBe("DOCKER");
  });

  it("stops a command the coordinator cancels: it answers CANCELLED at once", async () => {
    // A Docker client that never becomes ready keeps every Docker command at work.
    const { coordinator } = await start({ docker: () => new Promise(() => {}) });
    const s = await waitFor(() => coordinator.live(), 5_000, "a session");
    s.send({
      id: "logs-1",
      deadline: timestampFromMs(Date.now() + 60_000),
      kind: { case: "serviceLogs", value: { service: "web", follow: true } },
    });
    await new Promise((r) => setTimeout(r, 50));
    const sent = Date.now();
    s.cancel("logs-1", "the API caller cancelled");
    // Long before the command's own deadline (60 s).
    const r = await waitFor(() => s.results.find((x) => x.commandId === "logs-1"), 10_000, "the result");
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(r.error).toMatchObject({ code: "CANCELLED", place: { command: "service_logs" } });
    expect(r.error?.message).toMatch(/the API caller cancelled/);
  });

  it("stops its streaming commands when the session closes, and only those", async () => {
    const { coordinator, lines } = await start({ docker: () => new Promise(() => {}) });
    const s = await waitFor(() => coordinator.live(), 5_000, "a session");
    const deadline = timestampFromMs(Date.now() + 3_000);
    s.send({
      id: "logs-2",
      deadline,
      kind: { case: "serviceLogs", value: { service: "web", follow: true } },
    });
    s.send({ id: "list-2", deadline, kind: { case: "serviceList", value: {} } });
    await new Promise((r) => setTimeout(r, 50));
    await coordinator.stop();
    const cancelled = () =>
      lines.filter((l) => l.includes('"msg":"command cancelled"')).map((l) => JSON.parse(l));
    await waitFor(() => cancelled().length > 0, 2_000, "the stream stopped");
    await new Promise((r) => setTimeout(r, 100));
    expect(cancelled().map((l) => [l.command, l.reason])).toEqual([["logs-2", "the session closed"]]);
  });

  it("reconnects by itself within a few seconds after the coordinator restarts on the same port", async () => {
    const { coordinator, session } = await start({ heartbeatMs: 200 });
    await waitFor(() => coordinator.live(), 5_000, "a session");
    await coordinator.run({ idempotencyKey: "ref-before", kind: { case: "refreshInventory", value: {} } });
    await coordinator.stop();
    await waitFor(() => !session.status().connected, 5_000, "the break noticed");
    await new Promise((r) => setTimeout(r, 2_000));
    const restartedAt = Date.now();
    await coordinator.restart();
    const s = await waitFor(() => coordinator.live(), 8_000, "a new session");
    expect(Date.now() - restartedAt).toBeLessThan(6_000);
    expect(coordinator.sessions).toHaveLength(2);
    expect(s.hello?.knownIdempotencyKeys).toContain("ref-before");
    await waitFor(() => s.heartbeats.length >= 2, 2_000, "heartbeats on the new session");
    expect(session.status().sessions).toBe(2);
  });

  it("a refused token is logged without the token and retried slowly, never crashing", async () => {
    const { coordinator, session, lines } = await start({
      coordinatorToken: "the-right-one",
      slowRetryMs: 600,
    });
    await waitFor(() => coordinator.refused.length >= 3, 5_000, "three refused attempts");
    const t0 = Date.now();
    const n0 = coordinator.refused.length;
    await new Promise((r) => setTimeout(r, 1_200));
    // 300-600 ms apart: a handful of attempts, not a tight loop.
    expect(coordinator.refused.length - n0).toBeGreaterThanOrEqual(1);
    expect(coordinator.refused.length - n0).toBeLessThanOrEqual(5);
    // (a timer may fire a millisecond before Date.now() says it is due)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_190);
    expect(session.status().connected).toBe(false);
    expect(coordinator.sessions).toHaveLength(0);
    const refusal = lines.find((l) => l.includes("refused the enrollment token"));
    expect(refusal).toBeDefined();
    expect(JSON.parse(refusal!).level).toBe(50);
    expect(lines.join("")).not.toContain(TOKEN);
  });

  it("dials again quickly after a shutdown Goodbye and slowly after being replaced", async () => {
    const { coordinator, lines } = await start({ slowRetryMs: 3_000 });
    const first = await waitFor(() => coordinator.live(), 5_000, "a session");
    first.goodbye(GoodbyeReason.SHUTDOWN, "coordinator restarting");
    const second = await waitFor(() => coordinator.live(), 2_000, "a quick new session");
    const replacedAt = Date.now();
    second.goodbye(GoodbyeReason.REPLACED, "a newer session of m-0001");
    await waitFor(() => coordinator.sessions.length === 3, 5_000, "a slow new session");
    expect(Date.now() - replacedAt).toBeGreaterThanOrEqual(1_400);
    expect(lines.some((l) => l.includes("replaced this one"))).toBe(true);
  });

  it("backs off with a cap while the coordinator is unreachable", async () => {
    const coordinator = await startTestCoordinator({ token: TOKEN, heartbeatMs: 100 });
    const port = coordinator.port;
    await coordinator.stop();
    const delays: number[] = [];
    const inner = createBackoff({ initialMs: 50, maxMs: 200 });
    const lines = dialSession(`127.0.0.1:${port}`, {
      backoff: {
        next: () => {
          const d = inner.next();
          delays.push(d);
          return d;
        },
        reset: () => inner.reset(),
        get attempts() {
          return inner.attempts;
        },
      },
    });
    await waitFor(() => delays.length >= 8, 5_000, "8 attempts");
    expect(Math.max(...delays)).toBeLessThan(200);
    const warned = lines.filter(
      (l) => l.includes("cannot reach the coordinator") && JSON.parse(l).level === 40,
    );
    expect(warned).toHaveLength(1);
  });
  describe("a coordinator that does not answer", () => {
    /** A TCP server that accepts connections and never says a word; counts them. */
    async function silentServer() {
      const sockets: Socket[] = [];
      const server = createServer((sock) => {
        sockets.push(sock);
        sock.on("error", () => {});
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as AddressInfo).port;
      return {
        address: `127.0.0.1:${port}`,
        accepted: () => sockets.length,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      };
    }

    it("is waited for once connected (a busy coordinator), then dialled again", async () => {
      const server = await silentServer();
      try {
        const lines = dialSession(server.address, { connectTimeoutMs: 100, welcomeTimeoutMs: 900 });
        await new Promise((r) => setTimeout(r, 500));
        expect(server.accepted()).toBe(1);
        await waitFor(() => server.accepted() >= 2, 3_000, "a second attempt after the Welcome timeout");
        expect(lines.some((l) => l.includes("no Welcome from the coordinator in time"))).toBe(true);
      } finally {
        server.close();
      }
    });

    it("is given up after the connect timeout while TLS cannot even start", async () => {
      const server = await silentServer();
      try {
        const lines = dialSession(server.address, {
          tls: {},
          connectTimeoutMs: 100,
          welcomeTimeoutMs: 60_000,
        });
        await waitFor(() => server.accepted() >= 3, 3_000, "three attempts");
        const warned = lines
          .filter((l) => l.includes("cannot reach the coordinator"))
          .map((l) => JSON.parse(l));
        expect(warned[0]).toMatchObject({
          level: 40,
          code: "TIMEOUT",
          message: "no connection within 100 ms",
        });
      } finally {
        server.close();
      }
    });
  });
});
