import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode } from "@phoenix/errors";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClusterServiceCodec } from "./gen/phoenix/v1/cluster_codec";
import { ClusterService } from "./gen/phoenix/v1/cluster_pb";
import { addService } from "./grpc";
import {
  CLIENT_PREFACE,
  encodeFrame,
  FrameReader,
  FrameType,
  goawayFrame,
  H2Error,
  windowUpdateFrame,
} from "./h2/frames";
import { createH2Channel, type H2Channel } from "./h2-channel";
import { failingService } from "./test-service";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (cond: () => boolean, ms = 3_000) => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("timed out");
    await sleep(10);
  }
};

/** The value of `read` once it has not changed for `quietMs`. */
async function settled(read: () => number, quietMs = 300, ms = 5_000): Promise<number> {
  const until = Date.now() + ms;
  let last = read();
  let since = Date.now();
  while (Date.now() < until) {
    await sleep(20);
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
  throw new Error(`still changing after ${ms} ms`);
}

/** What the grpc-js server saw. */
const seen = {
  metadata: [] as Record<string, unknown>[],
  peers: new Set<string>(),
  active: 0,
  maxActive: 0,
  /** after_seq of the followed event streams the client cancelled */
  cancelled: new Set<number>(),
  /** log lines produced so far, per service */
  produced: new Map<string, number>(),
};

// A ClusterService whose behaviour each case picks by its request; the methods no case calls fail.
const cluster = failingService(ClusterService);
cluster.getStatus = async (_req, ctx) => {
  seen.metadata.push(ctx.metadata.getMap());
  seen.peers.add(ctx.peer);
  return { cluster: "lab" };
};
/** Answers after `slow-<ms>` milliseconds, counting the calls running at once. */
cluster.getNode = async (req, ctx) => {
  seen.peers.add(ctx.peer);
  seen.active++;
  seen.maxActive = Math.max(seen.maxActive, seen.active);
  try {
    await sleep(Number(req.node.replace("slow-", "")) || 0);
  } finally {
    seen.active--;
  }
  return { node: { name: req.node } };
};
/** One event every 10 ms after after_seq until the client cancels. */
cluster.watchEvents = async function* (req, ctx) {
  let seq = Number(req.afterSeq);
  for (;;) {
    if (ctx.signal.aborted) {
      seen.cancelled.add(Number(req.afterSeq));
      return;
    }
    yield { event: { seq: BigInt(++seq), type: "node.joined" } };
    await sleep(10);
  }
};
/** An empty message: every field at its default, no bytes after the gRPC message prefix. */
cluster.listStacks = async () => ({});
/**
 * `tail` log lines of 64 KiB each; the server yields the next one only once its last write went out.
 * Service "empty": an empty message, a line, an empty message.
 */
cluster.serviceLogs = async function* (req) {
  if (req.service === "empty") {
    yield {};
    yield { line: { taskId: "t1" } };
    yield {};
    return;
  }
  for (let i = 0; i < req.tail; i++) {
    seen.produced.set(req.service, i + 1);
    yield { line: { taskId: `${req.service}-${i}`, text: String(i % 10).repeat(64 * 1024) } };
  }
};

async function startServer(options: grpc.ServerOptions = {}): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server(options);
  addService(server, ClusterService, cluster);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

/**
 * A TCP relay to the server that reads the HTTP/2 frames going by: what the client sent (after the
 * preface), and the server's frames passed on one by one, so that a frame can be slipped in between.
 */
interface Relay {
  port: number;
  /** Connections the client opened. */
  connections: number;
  /** Connections the client ended (its FIN reached the relay). */
  ended: number;
  /** WINDOW_UPDATE frames the client sent on the first connection, by stream id. */
  windowUpdates(streamId: number): number;
  /** Error codes of the GOAWAY frames the client sent, on any connection. */
  goaways: number[];
  /** [stream id, error code] of the RST_STREAM frames the client sent, on any connection. */
  resets: [number, number][];
  /** Sends a frame to the client on its latest connection, between two of the server's. */
  inject(frame: Buffer): void;
  close(): void;
}

async function startRelay(target: number): Promise<Relay> {
  const sockets: Socket[] = [];
  const updates: number[] = [];
  let toClient: Socket | undefined;
  const relay: Relay = {
    port: 0,
    connections: 0,
    ended: 0,
    windowUpdates: (id) => updates.filter((s) => s === id).length,
    goaways: [],
    resets: [],
    inject: (frame) => toClient?.write(frame),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
  const server: Server = createServer((inbound) => {
    const first = relay.connections++ === 0;
    const outbound = netConnect(target, "127.0.0.1");
    sockets.push(inbound, outbound);
    toClient = inbound;
    let preface = CLIENT_PREFACE.length;
    const fromClient = new FrameReader(0xffffff);
    inbound.on("data", (d: Buffer) => {
      outbound.write(d);
      const skip = Math.min(preface, d.length);
      preface -= skip;
      for (const f of fromClient.push(Buffer.from(d.subarray(skip)))) {
        if (first && f.type === FrameType.WINDOW_UPDATE) updates.push(f.streamId);
        if (f.type === FrameType.GOAWAY) relay.goaways.push(f.payload.readUInt32BE(4));
        if (f.type === FrameType.RST_STREAM) relay.resets.push([f.streamId, f.payload.readUInt32BE(0)]);
      }
    });
    const fromServer = new FrameReader(0xffffff);
    outbound.on("data", (d: Buffer) => {
      for (const f of fromServer.push(d)) inbound.write(encodeFrame(f.type, f.flags, f.streamId, f.payload));
    });
    inbound.on("end", () => {
      relay.ended++;
      outbound.end();
    });
    outbound.on("end", () => inbound.end());
    inbound.on("error", () => {});
    outbound.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  relay.port = (server.address() as { port: number }).port;
  return relay;
}

describe("createH2Channel against a grpc-js server on loopback", () => {
  let server: grpc.Server;
  let port: number;
  let channel: H2Channel;

  beforeAll(async () => {
    // The server allows two streams at once on a connection.
    ({ server, port } = await startServer({ "grpc.max_concurrent_streams": 2 }));
  });
  afterAll(() => server.forceShutdown());
  afterEach(() => channel?.close());

  it("runs many calls on one connection, never more at once than the server's SETTINGS allow", async () => {
    channel = createH2Channel(`127.0.0.1:${port}`);
    seen.peers.clear();
    seen.maxActive = 0;
    const names = ["slow-100", "slow-120", "slow-80", "slow-100", "slow-60", "slow-90"];
    const replies = await Promise.all(
      names.map((node) => channel.unary(ClusterServiceCodec.getNode, { node })),
    );
    expect(replies.map((r) => r.node?.name)).toEqual(names);
    expect(seen.maxActive).toBe(2);
    expect(seen.peers.size).toBe(1);
  });

  it("resets one stream and leaves the others on the connection running", async () => {
    channel = createH2Channel(`127.0.0.1:${port}`);
    seen.cancelled.clear();
    const ac = new AbortController();
    const kept = channel.serverStream(ClusterServiceCodec.watchEvents, { follow: true, afterSeq: 1000n });
    const dropped = channel.serverStream(
      ClusterServiceCodec.watchEvents,
      { follow: true, afterSeq: 2000n },
      { signal: ac.signal },
    );
    const keptIt = kept[Symbol.asyncIterator]();
    const droppedIt = dropped[Symbol.asyncIterator]();
    expect((await droppedIt.next()).value?.event?.seq).toBe(2001n);
    ac.abort();
    await expect(droppedIt.next()).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
    const seqs: bigint[] = [];
    for (let i = 0; i < 5; i++) seqs.push((await keptIt.next()).value?.event?.seq ?? 0n);
    expect(seqs).toEqual([1001n, 1002n, 1003n, 1004n, 1005n]);
    await waitFor(() => seen.cancelled.has(2000));
    expect(seen.cancelled.has(1000)).toBe(false);
    await keptIt.return?.();
    await waitFor(() => seen.cancelled.has(1000));
  });

  it("sends metadata, a header block larger than a frame too (CONTINUATION), and checks it first", async () => {
    channel = createH2Channel(`127.0.0.1:${port}`);
    seen.metadata = [];
    const big = "b".repeat(40 * 1024);
    await channel.unary(
      ClusterServiceCodec.getStatus,
      {},
      { metadata: { authorization: "Bearer t0ken", "x-big": big, "trace-bin": "AAEC" } },
    );
    expect(seen.metadata[0]).toMatchObject({
      authorization: "Bearer t0ken",
      "x-big": big,
      "trace-bin": Buffer.from([0, 1, 2]),
    });

    await expect(
      channel.unary(
        ClusterServiceCodec.getStatus,
        {},
        { metadata: { authorization: "Bearer s3cret\r\nx: y" } },
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: 'metadata "authorization": the value holds a line break (CR or LF)',
    });
    expect(() =>
      channel.serverStream(ClusterServiceCodec.watchEvents, {}, { metadata: { ":path": "/other" } }),
    ).toThrow(/pseudo-headers are the gRPC call's own/);
    // Neither reached the server.
    expect(seen.metadata).toHaveLength(1);
  });

  it("reads empty messages, the last bytes of a frame or not", async () => {
    channel = createH2Channel(`127.0.0.1:${port}`);
    expect((await channel.unary(ClusterServiceCodec.listStacks, {})).stacks).toEqual([]);
    const got: string[] = [];
    for await (const res of channel.serverStream(ClusterServiceCodec.serviceLogs, { service: "empty" }))
      got.push(res.line?.taskId ?? "(empty)");
    expect(got).toEqual(["(empty)", "t1", "(empty)"]);
  });

  it("refuses a request over the message size limit with INVALID_ARGUMENT, and the channel goes on", async () => {
    channel = createH2Channel(`127.0.0.1:${port}`, { maxMessageBytes: 100 });
    const big = "x".repeat(200);
    await expect(channel.unary(ClusterServiceCodec.getNode, { node: big })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: "message larger than max (203 vs. 100 bytes)",
    });
    expect(() => channel.serverStream(ClusterServiceCodec.watchEvents, { types: [big] })).toThrow(
      "message larger than max (203 vs. 100 bytes)",
    );
    expect((await channel.unary(ClusterServiceCodec.getStatus, {})).cluster).toBe("lab");
  });

  it("ends a call still running with CANCELLED when the channel is closed, and refuses new ones", async () => {
    channel = createH2Channel(`127.0.0.1:${port}`);
    const pending = channel.unary(ClusterServiceCodec.getNode, { node: "slow-2000" });
    await sleep(50);
    channel.close();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
    await expect(channel.unary(ClusterServiceCodec.getStatus, {})).rejects.toMatchObject({
      code: ErrorCode.CANCELLED,
      message: "the client is closed",
    });
  });
});

describe("createH2Channel flow control and GOAWAY, through a relay that reads the frames", () => {
  let server: grpc.Server;
  let port: number;
  let relay: Relay;
  let channel: H2Channel;

  beforeAll(async () => {
    ({ server, port } = await startServer());
  });
  afterAll(() => server.forceShutdown());
  afterEach(() => {
    channel?.close();
    relay?.close();
  });

  it("holds a server stream back while its reader is behind: no WINDOW_UPDATE for it, the others flow", async () => {
    relay = await startRelay(port);
    channel = createH2Channel(`127.0.0.1:${relay.port}`, { maxQueuedMessages: 4 });
    seen.produced.clear();
    // Stream 1: 100 lines of 64 KiB (6.4 MiB, six times the 1 MiB window); one is read, then none.
    const slow = channel.serverStream(ClusterServiceCodec.serviceLogs, { service: "slow", tail: 100 });
    const it = slow[Symbol.asyncIterator]();
    expect((await it.next()).value?.line?.taskId).toBe("slow-0");
    const held = await settled(() => seen.produced.get("slow") ?? 0);
    // What fits in the 4 queued, the stream's window and the server's own buffers; far from all 100.
    expect(held).toBeLessThan(40);
    const updatesWhileHeld = relay.windowUpdates(1);

    // Stream 3 on the same connection is read to its end meanwhile, past its window too.
    let other = 0;
    for await (const res of channel.serverStream(ClusterServiceCodec.serviceLogs, {
      service: "fast",
      tail: 40,
    }))
      if (res.line?.taskId === `fast-${other}`) other++;
    expect(other).toBe(40);
    expect(relay.windowUpdates(3)).toBeGreaterThan(0);
    expect(relay.windowUpdates(1)).toBe(updatesWhileHeld);
    expect(seen.produced.get("slow")).toBe(held);

    // Reading again gives the window back, and every line comes in order.
    let n = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      expect(r.value.line?.taskId).toBe(`slow-${n}`);
      n++;
    }
    expect(n).toBe(100);
    expect(relay.windowUpdates(1)).toBeGreaterThan(updatesWhileHeld);
    expect(relay.connections).toBe(1);
  });

  it("answers a server that overflows the flow-control window with GOAWAY FLOW_CONTROL_ERROR", async () => {
    relay = await startRelay(port);
    channel = createH2Channel(`127.0.0.1:${relay.port}`);
    const it = channel
      .serverStream(ClusterServiceCodec.watchEvents, { follow: true, afterSeq: 400n })
      [Symbol.asyncIterator]();
    await it.next();
    // The connection's send window is at least 65,535 bytes: this takes it past 2^31 - 1.
    relay.inject(windowUpdateFrame(0, 0x7fffffff));
    const err = await (async () => {
      for (let r = await it.next(); !r.done; r = await it.next());
    })().catch((e: unknown) => e);
    expect((err as Error).message).toContain("flow-control window overflow");
    await waitFor(() => relay.goaways.length > 0);
    expect(relay.goaways).toEqual([H2Error.FLOW_CONTROL_ERROR]);
  });

  it("ends only the stream whose window a WINDOW_UPDATE overflows, with RST_STREAM FLOW_CONTROL_ERROR", async () => {
    relay = await startRelay(port);
    channel = createH2Channel(`127.0.0.1:${relay.port}`);
    const [one, three] = [500n, 600n].map((afterSeq) =>
      channel
        .serverStream(ClusterServiceCodec.watchEvents, { follow: true, afterSeq })
        [Symbol.asyncIterator](),
    );
    await one!.next();
    await three!.next();
    relay.inject(windowUpdateFrame(1, 0x7fffffff));
    const err = await (async () => {
      for (let r = await one!.next(); !r.done; r = await one!.next());
    })().catch((e: unknown) => e);
    expect((err as Error).message).toContain("the server overflowed the flow-control window of stream 1");
    await waitFor(() => relay.resets.length > 0);
    expect(relay.resets).toEqual([[1, H2Error.FLOW_CONTROL_ERROR]]);
    // Stream 3 and the connection go on.
    expect((await three!.next()).value?.event?.seq).toBeGreaterThan(600n);
    await three!.return?.();
    expect(relay.goaways).toEqual([]);
    expect(relay.connections).toBe(1);
  });

  it("a GOAWAY fails only the streams above its last-stream-id; the others finish, new calls dial again", async () => {
    relay = await startRelay(port);
    channel = createH2Channel(`127.0.0.1:${relay.port}`);
    seen.cancelled.clear();
    // Streams 1, 3 and 5, each followed until the test leaves it.
    const its = [100n, 200n, 300n].map((afterSeq) =>
      channel
        .serverStream(ClusterServiceCodec.watchEvents, { follow: true, afterSeq })
        [Symbol.asyncIterator](),
    );
    for (const it of its) await it.next();
    relay.inject(goawayFrame(3, H2Error.NO_ERROR));

    // Stream 5 gives what it had, then fails as not taken; the server sees it reset.
    const err = await (async () => {
      for (let r = await its[2]!.next(); !r.done; r = await its[2]!.next());
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ErrorCode.UNAVAILABLE,
      message: "the server is going away and did not take the call",
    });
    await waitFor(() => seen.cancelled.has(300));

    // Streams 1 and 3 go on; a new call goes over a new connection.
    const at = [(await its[0]!.next()).value?.event?.seq, (await its[1]!.next()).value?.event?.seq];
    for (let i = 0; i < 3; i++) {
      at[0] = (await its[0]!.next()).value?.event?.seq;
      at[1] = (await its[1]!.next()).value?.event?.seq;
    }
    expect(at[0]! > 104n && at[0]! < 200n).toBe(true);
    expect(at[1]! > 204n && at[1]! < 300n).toBe(true);
    expect((await channel.unary(ClusterServiceCodec.getStatus, {})).cluster).toBe("lab");
    expect(relay.connections).toBe(2);

    // Once its last stream is over, the connection that was going away is closed by the client.
    expect(relay.ended).toBe(0);
    await its[0]!.return?.();
    await sleep(50);
    expect(relay.ended).toBe(0);
    await its[1]!.return?.();
    await waitFor(() => relay.ended === 1);
    await waitFor(() => seen.cancelled.has(100) && seen.cancelled.has(200));
  });
});

describe("createH2Channel and a grpc-js server shutting down gracefully", () => {
  it("lets the calls in flight finish, then dials again for the next", async () => {
    const { server, port } = await startServer();
    const channel = createH2Channel(`127.0.0.1:${port}`);
    try {
      seen.active = 0;
      const calls = ["slow-300", "slow-400"].map((node) =>
        channel.unary(ClusterServiceCodec.getNode, { node }),
      );
      await waitFor(() => seen.active === 2);
      // The server's GOAWAY names the last stream it took: both calls are at or below it.
      const down = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      expect((await Promise.all(calls)).map((r) => r.node?.name)).toEqual(["slow-300", "slow-400"]);
      await down;
      await expect(channel.unary(ClusterServiceCodec.getStatus, {})).rejects.toMatchObject({
        code: ErrorCode.UNAVAILABLE,
        message: expect.stringContaining("ECONNREFUSED"),
      });
    } finally {
      channel.close();
      server.forceShutdown();
    }
  });
});
