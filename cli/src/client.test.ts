import { rmSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { addService, ClusterService, grpcTimeout, serverCredentials } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failingService } from "../../packages/proto/src/test-service";
import { makeTestTls, type TestTls } from "../../packages/proto/src/test-tls";
import { type ClusterClient, connect } from "./client";
import { deadPort } from "./test-ports";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A real grpc-js server with ClusterService handlers whose behaviour each case picks by its request;
// the methods no case calls fail.
let seenAuth: string[] = [];
const seenPeers = new Set<string>();
let cancelledStreams = 0;
const cluster = failingService(ClusterService);
cluster.getStatus = async (_req, ctx) => {
  seenAuth.push(String(ctx.metadata.get("authorization")[0] ?? ""));
  seenPeers.add(ctx.peer);
  return { cluster: "lab", agentsOnline: 3 };
};
cluster.getNode = async (req, ctx) => {
  seenPeers.add(ctx.peer);
  if (req.node === "slow") await sleep(2_000);
  if (req.node === "missing")
    throw new PhoenixError(ErrorCode.NOT_FOUND, "no guest named missing", { place: { node: "missing" } });
  return { node: { name: req.node, hostname: `${req.node}.lan` } };
};
/** Three events after after_seq, or one every 20 ms until cancelled with follow. */
cluster.watchEvents = async function* (req, ctx) {
  let seq = Number(req.afterSeq);
  while (req.follow || seq < Number(req.afterSeq) + 3) {
    if (ctx.signal.aborted) {
      cancelledStreams++;
      return;
    }
    yield { event: { seq: BigInt(++seq), type: "node.joined" } };
    if (req.follow) await sleep(20);
  }
};
cluster.deployStack = async function* (req) {
  yield { msg: { case: "progress", value: `applying ${req.env}_${req.stack}` } };
  throw new PhoenixError(ErrorCode.DEPLOY_FAILED, "service web: no such image", {
    place: { stack: `${req.env}_${req.stack}`, service: "web" },
  });
};

async function startServer(creds: grpc.ServerCredentials): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  addService(server, ClusterService, cluster);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

describe("the CLI's ClusterService client over plaintext HTTP/2", () => {
  let server: grpc.Server;
  let client: ClusterClient;

  beforeAll(async () => {
    const s = await startServer(grpc.ServerCredentials.createInsecure());
    server = s.server;
    client = connect({ coordinator: s.address, token: "t0ken", timeoutMs: 5_000 });
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it("makes unary calls with the API token in the metadata, several on one connection", async () => {
    seenAuth = [];
    seenPeers.clear();
    const [a, b] = await Promise.all([client.getStatus({}), client.getStatus({})]);
    expect(a.cluster).toBe("lab");
    expect(b.agentsOnline).toBe(3);
    expect(seenAuth).toEqual(["Bearer t0ken", "Bearer t0ken"]);
    expect((await client.getNode({ node: "gpu1" })).node?.hostname).toBe("gpu1.lan");
    expect(seenPeers.size).toBe(1);
  });

  it("refuses a token that would break the request's headers, without repeating it", async () => {
    const bad = connect({ coordinator: "127.0.0.1:1", token: "s3cret\r\nx-admin: yes", timeoutMs: 5_000 });
    const err = await bad.getStatus({}).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: 'metadata "authorization": the value holds a line break (CR or LF)',
    });
    expect(String((err as Error).message)).not.toContain("s3cret");
    bad.close();
  });

  it("reads every message of a server stream in order", async () => {
    const seqs: bigint[] = [];
    for await (const res of client.watchEvents({ afterSeq: 10n })) seqs.push(res.event?.seq ?? 0n);
    expect(seqs).toEqual([11n, 12n, 13n]);
  });

  it("throws the coordinator's PhoenixError with its code and place", async () => {
    await expect(client.getNode({ node: "missing" })).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
      message: "no guest named missing",
      place: { node: "missing" },
    });
  });

  it("gives the messages a stream sent before it failed, then its error", async () => {
    const got: string[] = [];
    const err = await (async () => {
      for await (const res of client.deployStack({ stack: "app", env: "dev1" }))
        if (res.msg.case === "progress") got.push(res.msg.value);
    })().catch((e: unknown) => e);
    expect(got).toEqual(["applying dev1_app"]);
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err).toMatchObject({
      code: ErrorCode.DEPLOY_FAILED,
      place: { stack: "dev1_app", service: "web" },
    });
  });

  it("ends a call at its deadline with TIMEOUT", async () => {
    const started = Date.now();
    await expect(client.getNode({ node: "slow" }, { timeoutMs: 200 })).rejects.toMatchObject({
      code: ErrorCode.TIMEOUT,
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("cancels a followed stream when the signal fires, and the server sees the cancel", async () => {
    cancelledStreams = 0;
    const ac = new AbortController();
    const seqs: bigint[] = [];
    const err = await (async () => {
      for await (const res of client.watchEvents({ follow: true }, { signal: ac.signal })) {
        seqs.push(res.event?.seq ?? 0n);
        if (seqs.length === 3) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.CANCELLED });
    expect(seqs).toEqual([1n, 2n, 3n]);
    await sleep(100);
    expect(cancelledStreams).toBe(1);
  });

  it("stops a stream the reader leaves early", async () => {
    cancelledStreams = 0;
    for await (const res of client.watchEvents({ follow: true })) {
      if (res.event?.seq === 2n) break;
    }
    await sleep(100);
    expect(cancelledStreams).toBe(1);
    expect((await client.getStatus({})).cluster).toBe("lab");
  });
});

describe("the CLI's ClusterService client, failures to connect", () => {
  it("says UNAVAILABLE with the connection's error when nothing listens", async () => {
    const port = await deadPort();
    const client = connect({ coordinator: `127.0.0.1:${port}`, timeoutMs: 5_000 });
    await expect(client.getStatus({})).rejects.toMatchObject({
      code: ErrorCode.UNAVAILABLE,
      message: expect.stringContaining("ECONNREFUSED"),
    });
    client.close();
  });
});

describe("the CLI's ClusterService client over TLS", () => {
  let tls: TestTls;
  let server: grpc.Server;
  let address: string;

  beforeAll(async () => {
    tls = makeTestTls("phoenix-cli-tls-");
    const s = await startServer(serverCredentials({ certFile: tls.certFile, keyFile: tls.keyFile }));
    server = s.server;
    address = s.address;
  });
  afterAll(() => {
    server.forceShutdown();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  it("calls a coordinator whose certificate the given CA signed", async () => {
    const client = connect({ coordinator: address, tlsCa: tls.caFile, timeoutMs: 5_000 });
    expect((await client.getStatus({})).cluster).toBe("lab");
    client.close();
  });

  it("refuses a coordinator whose certificate another CA signed", async () => {
    const client = connect({ coordinator: address, tlsCa: tls.otherCaFile, timeoutMs: 5_000 });
    await expect(client.getStatus({})).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    client.close();
  });

  it("names a CA file it cannot read", () => {
    expect(() => connect({ coordinator: address, tlsCa: "/nonexistent/ca.pem", timeoutMs: 5_000 })).toThrow(
      /cannot read CA file \/nonexistent\/ca\.pem/,
    );
  });
});

describe("grpcTimeout", () => {
  it.each([
    [0.2, "1m"],
    [1500, "1500m"],
    [30_000, "30000m"],
    [99_999_999, "99999999m"],
    [100_000_000, "100000S"],
    [1e12, "277778H"],
  ])("%d ms → %s", (ms, header) => {
    expect(grpcTimeout(ms)).toBe(header);
  });
});
