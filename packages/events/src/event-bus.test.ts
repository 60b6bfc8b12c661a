import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PhoenixError } from "@phoenix/errors";
import {
  AgentConnectedSchema,
  create,
  type Event,
  EventSchema,
  NodeLabelsChangedSchema,
  NodeRole,
  StackDeployedSchema,
  timestampMs,
  toJson,
} from "@phoenix/proto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEventBus, type EventBus } from "./event-bus";
import { captureLogger, collect as take } from "./test-support";

const connected = (guest: string): Event["data"] => ({
  case: "agentConnected",
  value: create(AgentConnectedSchema, { guest, hostname: guest, agentVersion: "1.0.0" }),
});
const labels = (guest: string): Event["data"] => ({
  case: "nodeLabelsChanged",
  value: create(NodeLabelsChangedSchema, { guest, nodeId: `id-${guest}`, added: { gpu: "true" } }),
});
const deployed = (ns: string): Event["data"] => ({
  case: "stackDeployed",
  value: create(StackDeployedSchema, { stack: ns, env: "dev1", namespace: `dev1_${ns}` }),
});

let dir: string;
const buses: EventBus[] = [];
async function bus(opts: Partial<Parameters<typeof createEventBus>[0]> = {}) {
  const b = await createEventBus({ cluster: "homelab", logger: captureLogger().logger, ...opts });
  buses.push(b);
  return b;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "phoenix-events-"));
});
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await rm(dir, { recursive: true, force: true });
});

describe("emit", () => {
  it("assigns a unique id, the next seq, the time, the type and the cluster", async () => {
    const b = await bus();
    const before = Date.now();
    const a = b.emit(connected("gpu-1"), "gpu-1");
    const c = b.emit(labels("gpu-1"), "gpu-1");
    expect([a.seq, c.seq]).toEqual([1n, 2n]);
    expect(a.id).not.toBe(c.id);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect([a.type, c.type]).toEqual(["agent.connected", "node.labels_changed"]);
    expect([a.cluster, a.subject]).toEqual(["homelab", "gpu-1"]);
    expect(timestampMs(a.time!)).toBeGreaterThanOrEqual(before);
    expect(c.data.case === "nodeLabelsChanged" && c.data.value.added).toEqual({ gpu: "true" });
    expect(b.stats()).toEqual({ natsConnected: false, buffered: 0, dropped: 0, lastSeq: 2n });
  });

  it("takes the payload as plain data too", async () => {
    const b = await bus();
    const ev = b.emit(
      { case: "nodeJoined", value: { guest: "w1", nodeId: "n1", role: NodeRole.WORKER } },
      "w1",
    );
    expect(ev.type).toBe("node.joined");
    expect(ev.data.case === "nodeJoined" && ev.data.value.$typeName).toBe("phoenix.v1.NodeJoined");
    expect(toJson(EventSchema, ev)).toMatchObject({
      nodeJoined: { guest: "w1", nodeId: "n1", role: "NODE_ROLE_WORKER" },
    });
  });

  it("refuses an empty payload", async () => {
    const b = await bus();
    expect(() => b.emit({ case: undefined }, "x")).toThrow(PhoenixError);
    expect(b.stats().lastSeq).toBe(0n);
  });

  it.each([
    [{ cluster: "home.lab" }, /cluster name/],
    [{ bufferLimit: 0 }, /bufferLimit/],
    [{ historyLimit: 2.5 }, /historyLimit/],
  ])("refuses bad options %j", async (opts, error) => {
    await expect(bus(opts)).rejects.toThrow(error);
  });
});

describe("watch", () => {
  it("replays from a seq, oldest first, and ends without follow", async () => {
    const b = await bus();
    for (const g of ["a", "b", "c", "d"]) b.emit(connected(g), g);
    expect((await take(b.watch({ afterSeq: 2n }))).map((e) => e.subject)).toEqual(["c", "d"]);
    expect((await take(b.watch({ afterSeq: 0n }))).map((e) => e.seq)).toEqual([1n, 2n, 3n, 4n]);
    expect(await take(b.watch({ afterSeq: 4n }))).toEqual([]);
    expect(await take(b.watch({}))).toEqual([]);
  });

  it("replays from a time", async () => {
    const b = await bus();
    const old = b.emit(connected("old"), "old");
    // Wait until the clock (ms) has moved past the first event, so the boundary is exact.
    while (Date.now() <= timestampMs(old.time!)) await new Promise((r) => setImmediate(r));
    const since = new Date();
    b.emit(connected("new1"), "new1");
    b.emit(connected("new2"), "new2");
    expect((await take(b.watch({ sinceTime: since }))).map((e) => e.subject)).toEqual(["new1", "new2"]);
    expect((await take(b.watch({ sinceTime: new Date(0) }))).map((e) => e.subject)).toEqual([
      "old",
      "new1",
      "new2",
    ]);
  });

  it("follows new events after the replay, without gaps, and filters by type prefix", async () => {
    const b = await bus();
    b.emit(connected("a"), "a");
    b.emit(labels("a"), "a");
    const all = take(b.watch({ afterSeq: 0n, follow: true }), 5);
    const nodes = take(b.watch({ afterSeq: 0n, follow: true, types: ["node."] }), 2);
    const stacks = take(b.watch({ follow: true, types: ["stack.deployed", "agent."] }), 2);
    b.emit(deployed("web"), "dev1_web");
    b.emit(labels("b"), "b");
    b.emit(connected("c"), "c");
    expect((await all).map((e) => e.seq)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect((await nodes).map((e) => `${e.type} ${e.subject}`)).toEqual([
      "node.labels_changed a",
      "node.labels_changed b",
    ]);
    expect((await stacks).map((e) => e.type)).toEqual(["stack.deployed", "agent.connected"]);
  });

  it("starts at the call, not at the first read", async () => {
    const b = await bus();
    const it = b.watch({ follow: true })[Symbol.asyncIterator]();
    b.emit(connected("a"), "a");
    expect((await it.next()).value?.subject).toBe("a");
    await it.return?.();
  });

  it("ends a follower when its signal aborts, and all followers when the bus closes", async () => {
    const b = await bus();
    const ac = new AbortController();
    const aborted = take(b.watch({ follow: true, signal: ac.signal }));
    const closed = take(b.watch({ follow: true }));
    b.emit(connected("a"), "a");
    await new Promise((r) => setImmediate(r));
    ac.abort();
    expect((await aborted).map((e) => e.subject)).toEqual(["a"]);
    b.emit(connected("b"), "b");
    await b.close();
    expect((await closed).map((e) => e.subject)).toEqual(["a", "b"]);
  });

  it("keeps historyLimit events and tells a follower that fell behind", async () => {
    const b = await bus({ historyLimit: 3 });
    for (const g of ["a", "b", "c", "d", "e"]) b.emit(connected(g), g);
    expect((await take(b.watch({ afterSeq: 0n }))).map((e) => e.seq)).toEqual([3n, 4n, 5n]);
    const it = b.watch({ follow: true })[Symbol.asyncIterator]();
    b.emit(connected("f"), "f");
    expect((await it.next()).value?.seq).toBe(6n);
    for (const g of ["g", "h", "i", "j"]) b.emit(connected(g), g); // 7..10; 7 is gone
    await expect(it.next()).rejects.toThrow(/fell more than 3 events behind.*after seq 6/);
  });

  it("does not record events emitted after close", async () => {
    const cap = captureLogger();
    const b = await bus({ logger: cap.logger, historyFile: join(dir, "events.jsonl") });
    b.emit(connected("a"), "a");
    await b.close();
    b.emit(connected("late"), "late");
    expect(cap.text()).toMatch(/after the event bus closed/);
    const again = await bus({ historyFile: join(dir, "events.jsonl") });
    expect((await take(again.watch({ afterSeq: 0n }))).map((e) => e.subject)).toEqual(["a"]);
  });
});

describe("history file", () => {
  it("persists history across a restart: replay works and seq continues", async () => {
    const file = join(dir, "state", "events.jsonl");
    const first = await bus({ historyFile: file });
    const sent = [first.emit(connected("a"), "a"), first.emit(labels("a"), "a")];
    await first.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await bus({ historyFile: file });
    expect(second.stats().lastSeq).toBe(2n);
    const replayed = await take(second.watch({ afterSeq: 0n }));
    expect(replayed).toEqual(sent);
    expect(second.emit(deployed("web"), "dev1_web").seq).toBe(3n);
    await second.close();

    const third = await bus({ historyFile: file });
    expect((await take(third.watch({ afterSeq: 1n }))).map((e) => e.type)).toEqual([
      "node.labels_changed",
      "stack.deployed",
    ]);
  });

  it("skips a torn last line (crash during an append) and repairs the file", async () => {
    const file = join(dir, "events.jsonl");
    const first = await bus({ historyFile: file });
    first.emit(connected("a"), "a");
    first.emit(connected("b"), "b");
    await first.close();
    const text = await readFile(file, "utf8");
    await writeFile(file, `${text}{"id":"x","seq":"3","ty`);

    const cap = captureLogger();
    const second = await bus({ historyFile: file, logger: cap.logger });
    expect(second.stats().lastSeq).toBe(2n);
    expect(
      cap.lines.some((l) => l.msg === "event history: skipped unreadable lines" && l.skipped === 1),
    ).toBe(true);
    second.emit(connected("c"), "c");
    await second.close();
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { subject: string }).subject)).toEqual(["a", "b", "c"]);
  });

  it("refuses a file that is not an event history, and leaves it as it is", async () => {
    const file = join(dir, "events.jsonl");
    await writeFile(file, "hello\nworld\n");
    const err = await bus({ historyFile: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhoenixError);
    expect((err as PhoenixError).describe()).toMatch(/events\.jsonl: not an event history/);
    expect(await readFile(file, "utf8")).toBe("hello\nworld\n");
  });

  it("stays bounded: rewritten from the kept events when it grows past twice the limit", async () => {
    const file = join(dir, "events.jsonl");
    const b = await bus({ historyFile: file, historyLimit: 10 });
    for (let i = 0; i < 95; i++) {
      b.emit(connected(`g${i}`), `g${i}`);
      // Let the writer work between emits, as it would in a running coordinator.
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await b.close();
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(20);
    expect((JSON.parse(lines.at(-1)!) as { seq: string }).seq).toBe("95");
    const again = await bus({ historyFile: file, historyLimit: 10 });
    expect((await take(again.watch({ afterSeq: 0n }))).map((e) => e.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => BigInt(86 + i)),
    );
  });
});
