import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  AgentConnectedSchema,
  create,
  type Event,
  NodeLabelsChangedSchema,
  StackDeployedSchema,
} from "@phoenix/proto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEventBus, type EventBus, type EventBusOptions } from "./event-bus";
import { type NatsServerProcess, natsServerProcess } from "./nats-server-process";
import { type EventJson, replayStream, subscribeEvents } from "./subscribe";
import { captureLogger, collect, until } from "./test-support";

const connected = (guest: string): Event["data"] => ({
  case: "agentConnected",
  value: create(AgentConnectedSchema, { guest, hostname: guest }),
});
const labels = (guest: string): Event["data"] => ({
  case: "nodeLabelsChanged",
  value: create(NodeLabelsChangedSchema, {
    guest,
    nodeId: `id-${guest}`,
    added: { "phoenix.gpu.present": "true" },
  }),
});
const deployed = (stack: string): Event["data"] => ({
  case: "stackDeployed",
  value: create(StackDeployedSchema, { stack, env: "dev1", namespace: `dev1_${stack}` }),
});

async function streamInfo(url: string, name: string) {
  const nc = await connect({ servers: url });
  try {
    return await (await jetstreamManager(nc)).streams.info(name);
  } finally {
    await nc.close();
  }
}

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "phoenix-events-nats-"));
});
const servers: NatsServerProcess[] = [];
const buses: EventBus[] = [];
async function server(opts?: { jetstream?: boolean }, start = true) {
  const s = await natsServerProcess(opts);
  servers.push(s);
  if (start) await s.start();
  return s;
}
async function bus(opts: Partial<EventBusOptions> & { natsUrl: string }) {
  const b = await createEventBus({ cluster: "homelab", logger: captureLogger().logger, ...opts });
  buses.push(b);
  return b;
}
const seqs = (evs: EventJson[]) => evs.map((e) => Number(e.seq));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
  await rm(tmp, { recursive: true, force: true });
});

describe("event bus on a real nats-server", () => {
  it("publishes on phoenix.<cluster>.<kind>.<action> into a stream it creates, with Nats-Msg-Id", async () => {
    const nats = await server();
    const everything = subscribeEvents(nats.url);
    const labelsOnly = subscribeEvents(nats.url, "phoenix.homelab.node.labels_changed");
    await Promise.all([everything.ready, labelsOnly.ready]);
    const b = await bus({ natsUrl: nats.url });
    const sent = [
      b.emit(connected("gpu-1"), "gpu-1"),
      b.emit(labels("gpu-1"), "gpu-1"),
      b.emit(deployed("web"), "dev1_web"),
    ];

    const got = await collect(everything, 3);
    expect(got.map((e) => [e.type, e.subject, e.cluster, e.id])).toEqual(
      sent.map((e) => [e.type, e.subject, "homelab", e.id]),
    );
    expect(got[1]!.nodeLabelsChanged).toEqual({
      guest: "gpu-1",
      nodeId: "id-gpu-1",
      added: { "phoenix.gpu.present": "true" },
    });
    expect((await collect(labelsOnly, 1)).map((e) => e.type)).toEqual(["node.labels_changed"]);
    await Promise.all([everything.close(), labelsOnly.close()]);

    await until("the buffer to empty", () => b.stats().buffered === 0);
    expect(b.stats()).toMatchObject({ natsConnected: true, dropped: 0, lastSeq: 3n });
    const info = await streamInfo(nats.url, "PHOENIX_HOMELAB");
    expect(info.config.subjects).toEqual(["phoenix.homelab.>"]);
    expect(info.state.messages).toBe(3);
    const nc = await connect({ servers: nats.url });
    const stored = await (await jetstreamManager(nc)).streams.getMessage("PHOENIX_HOMELAB", { seq: 2 });
    await nc.close();
    expect(stored!.subject).toBe("phoenix.homelab.node.labels_changed");
    expect(stored!.header.get("Nats-Msg-Id")).toBe(sent[1]!.id);
    expect(seqs(await collect(replayStream(nats.url, "PHOENIX_HOMELAB"), 10))).toEqual([1, 2, 3]);
  });

  it("reuses a stream that already exists, keeping its settings; honours prefix and stream name", async () => {
    const nats = await server();
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "OPS_EVENTS", subjects: ["ops.lab.>"], max_msgs: 5 });
    await nc.close();

    const b = await bus({
      natsUrl: nats.url,
      cluster: "lab",
      subjectPrefix: "ops",
      streamName: "OPS_EVENTS",
    });
    for (const g of ["a", "b", "c", "d", "e", "f", "g"]) b.emit(connected(g), g);
    await until("the buffer to empty", () => b.stats().buffered === 0);
    const info = await streamInfo(nats.url, "OPS_EVENTS");
    expect(info.config.max_msgs).toBe(5);
    expect(info.state.messages).toBe(5);
    expect(info.state.last_seq).toBe(7);
    expect(seqs(await collect(replayStream(nats.url, "OPS_EVENTS"), 10))).toEqual([3, 4, 5, 6, 7]);
  });

  it("adds its subjects to an existing stream that lacks them, and uses a stream that already keeps them", async () => {
    const nats = await server();
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "PHOENIX_HOMELAB", subjects: ["audit.>"] });
    await jsm.streams.add({ name: "EVERYTHING", subjects: ["ops.>"] });
    await nc.close();

    const home = await bus({ natsUrl: nats.url });
    home.emit(connected("a"), "a");
    const other = await bus({ natsUrl: nats.url, cluster: "dc2", subjectPrefix: "ops" });
    other.emit(connected("b"), "b");
    await until("both buffers to empty", () => home.stats().buffered + other.stats().buffered === 0);
    expect((await streamInfo(nats.url, "PHOENIX_HOMELAB")).config.subjects).toEqual([
      "audit.>",
      "phoenix.homelab.>",
    ]);
    expect((await collect(replayStream(nats.url, "PHOENIX_HOMELAB"), 10)).map((e) => e.subject)).toEqual([
      "a",
    ]);
    // ops.dc2.> overlaps EVERYTHING's subjects, so PHOENIX_DC2 cannot exist: its events are kept there.
    expect((await collect(replayStream(nats.url, "EVERYTHING"), 10)).map((e) => e.subject)).toEqual(["b"]);
  });

  it("buffers while NATS is down at start and delivers everything in order once it is up", async () => {
    const nats = await server(undefined, false);
    const started = Date.now();
    const b = await bus({ natsUrl: nats.url });
    expect(Date.now() - started).toBeLessThan(2000); // did not wait for NATS
    for (let i = 1; i <= 40; i++) b.emit(connected(`g${i}`), `g${i}`);
    expect(b.stats()).toMatchObject({ natsConnected: false, buffered: 40, dropped: 0, lastSeq: 40n });

    await nats.start();
    await until("the buffer to empty", () => b.stats().buffered === 0);
    expect(b.stats().natsConnected).toBe(true);
    expect(seqs(await collect(replayStream(nats.url, "PHOENIX_HOMELAB"), 100))).toEqual(range(1, 40));
  });

  it("loses nothing when NATS is killed mid-way and restarted", async () => {
    const nats = await server();
    const cap = captureLogger();
    const b = await bus({ natsUrl: nats.url, logger: cap.logger });
    for (let i = 1; i <= 20; i++) b.emit(connected(`g${i}`), `g${i}`);
    await until("the first events to reach NATS", () => b.stats().buffered === 0);

    // Events keep coming while the server dies: some are in flight when it goes.
    for (let i = 21; i <= 30; i++) b.emit(labels(`g${i}`), `g${i}`);
    await nats.stop("SIGKILL");
    for (let i = 31; i <= 50; i++) b.emit(labels(`g${i}`), `g${i}`);
    await until("the bus to notice NATS is gone", () => !b.stats().natsConnected);
    expect(b.stats().buffered).toBeGreaterThanOrEqual(20);
    expect(cap.text()).toMatch(/NATS disconnected; buffering events/);

    await nats.start();
    await until("the buffer to empty after the restart", () => b.stats().buffered === 0);
    const replayed = await collect(replayStream(nats.url, "PHOENIX_HOMELAB"), 100);
    expect(seqs(replayed)).toEqual(range(1, 50));
    expect(new Set(replayed.map((e) => e.id)).size).toBe(50);
    expect(b.stats().dropped).toBe(0);
  });

  it("after a restart, sends what NATS had not taken, once, in order (history file)", async () => {
    const nats = await server();
    const historyFile = join(tmp, "events.jsonl");
    const first = await bus({ natsUrl: nats.url, historyFile });
    for (let i = 1; i <= 3; i++) first.emit(connected(`g${i}`), `g${i}`);
    await until("the first events to reach NATS", () => first.stats().buffered === 0);
    await nats.stop("SIGKILL");
    await until("the bus to notice NATS is gone", () => !first.stats().natsConnected);
    for (let i = 4; i <= 6; i++) first.emit(connected(`g${i}`), `g${i}`);
    await first.close(); // 4..6 never reached NATS

    await nats.start();
    const cap = captureLogger();
    const second = await bus({ natsUrl: nats.url, historyFile, logger: cap.logger });
    second.emit(deployed("web"), "dev1_web");
    await until("the buffer to empty", () => second.stats().natsConnected && second.stats().buffered === 0);
    expect(seqs(await collect(replayStream(nats.url, "PHOENIX_HOMELAB"), 100))).toEqual(range(1, 7));
    expect(cap.lines.find((l) => String(l.msg).startsWith("re-sending events"))).toMatchObject({
      count: 3,
      afterSeq: "3",
    });
    await second.close();

    const third = await bus({ natsUrl: nats.url, historyFile });
    third.emit(deployed("db"), "dev1_db");
    await until("the buffer to empty", () => third.stats().natsConnected && third.stats().buffered === 0);
    expect(seqs(await collect(replayStream(nats.url, "PHOENIX_HOMELAB"), 100))).toEqual(range(1, 8));
  });

  it("drops the oldest beyond the buffer bound, counts them and logs how many (no payload)", async () => {
    const nats = await server(undefined, false);
    const cap = captureLogger();
    const b = await bus({ natsUrl: nats.url, bufferLimit: 10, logger: cap.logger });
    for (let i = 1; i <= 25; i++) b.emit(connected(`secret-guest-${i}`), `secret-guest-${i}`);
    expect(b.stats()).toMatchObject({ buffered: 10, dropped: 15 });
    const line = await until("the drop log line", () =>
      cap.lines.find((l) => typeof l.msg === "string" && l.msg.includes("dropped")),
    );
    expect(line).toMatchObject({ level: 40, dropped: 15, droppedTotal: 15, bufferLimit: 10 });
    expect(line.msg).toMatch(/dropped the 15 oldest/);
    expect(cap.text()).not.toMatch(/secret-guest/);

    await nats.start();
    await until("the buffer to empty", () => b.stats().buffered === 0);
    expect(seqs(await collect(replayStream(nats.url, "PHOENIX_HOMELAB"), 100))).toEqual(range(16, 25));
  });

  it("publishes to core subscribers when the server has no JetStream", async () => {
    const nats = await server({ jetstream: false });
    const sub = subscribeEvents(nats.url);
    await sub.ready;
    const cap = captureLogger();
    const b = await bus({ natsUrl: nats.url, logger: cap.logger });
    b.emit(deployed("web"), "dev1_web");
    expect((await collect(sub, 1)).map((e) => e.type)).toEqual(["stack.deployed"]);
    await sub.close();
    await until("the buffer to empty", () => b.stats().buffered === 0);
    expect(cap.text()).toMatch(/no JetStream/);
  });

  it("replayStream names a stream that does not exist", async () => {
    const nats = await server();
    await expect(collect(replayStream(nats.url, "NOPE"))).rejects.toThrow(
      /JetStream stream NOPE does not exist/,
    );
  });

  it("closes promptly while still waiting for a server that never comes", async () => {
    const nats = await server(undefined, false);
    const b = await createEventBus({ cluster: "homelab", natsUrl: nats.url, logger: captureLogger().logger });
    b.emit(connected("a"), "a");
    const started = Date.now();
    await b.close();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(b.stats()).toMatchObject({ natsConnected: false, buffered: 1 });
  });
});
