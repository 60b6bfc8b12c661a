import { rmSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientCredentials, serverCredentials } from "./credentials";
import { cleanDetails } from "./error-info";
import { AgentService } from "./gen/phoenix/v1/agent_pb";
import { ClusterService } from "./gen/phoenix/v1/cluster_pb";
import { addService, createClient, type ServiceImpl } from "./grpc";
import { makeTestTls, type TestTls } from "./test-tls";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const notUsed = () => {
  throw new PhoenixError(ErrorCode.INTERNAL, "not used in this test");
};

/** Test handlers: behaviour keyed off request fields so each case is explicit. */
let cancelledStreams = 0;
const cluster: ServiceImpl<typeof ClusterService> = {
  getStatus: async () => ({ cluster: "lab", agentsOnline: 3 }),
  getNode: async (req) => {
    if (req.node === "slow") await sleep(2_000);
    if (req.node === "missing") {
      throw new PhoenixError(ErrorCode.NOT_FOUND, "no guest named missing", { place: { node: "missing" } });
    }
    if (req.node === "crash") throw new Error("secret internals");
    return { node: { name: req.node, hostname: `${req.node}.lan` } };
  },
  watchEvents: async function* (req, ctx) {
    for (let seq = Number(req.afterSeq) + 1; ; seq++) {
      if (!req.follow && seq > Number(req.afterSeq) + 3) return;
      if (ctx.signal.aborted) {
        cancelledStreams++;
        return;
      }
      yield { event: { seq: BigInt(seq), type: "node.joined" } };
      if (req.follow) await sleep(20);
    }
  },
  listNodes: notUsed,
  plan: notUsed,
  sync: notUsed,
  swarmInit: notUsed,
  swarmJoin: notUsed,
  getSwarmStatus: notUsed,
  deployStack: notUsed,
  updateAgents: notUsed,
  removeStack: notUsed,
  listStacks: notUsed,
  listServices: notUsed,
  listTasks: notUsed,
  serviceLogs: notUsed,
  scaleService: notUsed,
};

const agent: ServiceImpl<typeof AgentService> = {
  session: (call) => {
    call.on("data", (req) => {
      if (req.msg.case === "hello") {
        call.write({
          $typeName: "phoenix.v1.SessionResponse",
          msg: {
            case: "welcome",
            value: {
              $typeName: "phoenix.v1.Welcome",
              sessionId: "s1",
              cluster: "lab",
              guest: req.msg.value.agentId,
            },
          },
        });
      } else if (req.msg.case === "heartbeat") {
        call.write({
          $typeName: "phoenix.v1.SessionResponse",
          msg: {
            case: "command",
            value: {
              $typeName: "phoenix.v1.Command",
              id: `c${req.msg.value.seq}`,
              idempotencyKey: "",
              kind: { case: undefined },
            },
          },
        });
      }
    });
    call.on("end", () => call.end());
  },
};

function startServer(
  creds: grpc.ServerCredentials,
  opts: grpc.ServerOptions = {},
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server(opts);
  addService(server, ClusterService, cluster);
  addService(server, AgentService, agent);
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", creds, (err, port) => (err ? reject(err) : resolve({ server, port }))),
  );
}

describe("grpc binding over loopback", () => {
  let server: grpc.Server;
  let client: ReturnType<typeof createClient<typeof ClusterService>>;
  let agentClient: ReturnType<typeof createClient<typeof AgentService>>;

  beforeAll(async () => {
    const s = await startServer(grpc.ServerCredentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024,
    });
    server = s.server;
    client = createClient(ClusterService, `127.0.0.1:${s.port}`, clientCredentials());
    agentClient = createClient(AgentService, `127.0.0.1:${s.port}`, clientCredentials());
  });
  afterAll(() => {
    client.close();
    agentClient.close();
    server.forceShutdown();
  });

  it("unary call returns the typed response", async () => {
    const res = await client.getStatus({});
    expect(res.cluster).toBe("lab");
    expect(res.agentsOnline).toBe(3);
  });

  it("a PhoenixError crosses the wire with its code and place", async () => {
    const err = await client.getNode({ node: "missing" }).catch((e) => e);
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err.code).toBe(ErrorCode.NOT_FOUND);
    expect(err.place).toEqual({ node: "missing" });
    expect(err.describe()).toBe("node missing: no guest named missing");
  });

  it("an unexpected handler error is INTERNAL without leaking its message", async () => {
    const err = await client.getNode({ node: "crash" }).catch((e) => e);
    expect(err.code).toBe(ErrorCode.INTERNAL);
    expect(err.message).toBe("internal error");
  });

  it("server streaming yields every message then ends", async () => {
    const seqs: bigint[] = [];
    for await (const res of client.watchEvents({ afterSeq: 10n })) seqs.push(res.event!.seq);
    expect(seqs).toEqual([11n, 12n, 13n]);
  });

  it("bidi stream carries messages both ways", async () => {
    const call = agentClient.session();
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      call.on("data", (res) => {
        got.push(
          res.msg.case === "welcome" ? `welcome:${res.msg.value.guest}` : `command:${res.msg.value?.id}`,
        );
        if (got.length === 3) call.end();
      });
      call.on("end", resolve);
    });
    call.write({
      $typeName: "phoenix.v1.SessionRequest",
      msg: {
        case: "hello",
        value: {
          $typeName: "phoenix.v1.Hello",
          agentId: "m-1",
          enrollmentToken: "t",
          agentVersion: "1",
          knownIdempotencyKeys: [],
        },
      },
    });
    call.write({
      $typeName: "phoenix.v1.SessionRequest",
      msg: { case: "heartbeat", value: { $typeName: "phoenix.v1.Heartbeat", seq: 1n } },
    });
    call.write({
      $typeName: "phoenix.v1.SessionRequest",
      msg: { case: "heartbeat", value: { $typeName: "phoenix.v1.Heartbeat", seq: 2n } },
    });
    await done;
    expect(got).toEqual(["welcome:m-1", "command:c1", "command:c2"]);
  });

  it("deadline exceeded is a TIMEOUT error", async () => {
    const err = await client.getNode({ node: "slow" }, { timeoutMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err.code).toBe(ErrorCode.TIMEOUT);
  });

  it("cancellation stops a following stream on both sides", async () => {
    const ac = new AbortController();
    const before = cancelledStreams;
    const seen: bigint[] = [];
    const err = await (async () => {
      for await (const res of client.watchEvents({ follow: true }, { signal: ac.signal })) {
        seen.push(res.event!.seq);
        if (seen.length === 2) ac.abort();
      }
    })().catch((e) => e);
    expect(err.code).toBe(ErrorCode.CANCELLED);
    expect(seen).toEqual([1n, 2n]);
    await expect.poll(() => cancelledStreams, { timeout: 2_000 }).toBe(before + 1);
  });

  it("an oversized message is refused with a clear status", async () => {
    const err = await client.getNode({ node: "x".repeat(100 * 1024) }).catch((e) => e);
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(err.message).toMatch(/larger than max/i);
  });
});

describe("grpc binding with TLS and a self-made CA", () => {
  let tls: TestTls;
  beforeAll(() => {
    tls = makeTestTls();
  });
  afterAll(() => rmSync(tls.dir, { recursive: true, force: true }));

  it("a client trusting the CA talks to the server", async () => {
    const { server, port } = await startServer(
      serverCredentials({ certFile: tls.certFile, keyFile: tls.keyFile }),
    );
    const c = createClient(ClusterService, `localhost:${port}`, clientCredentials({ caFile: tls.caFile }));
    try {
      expect((await c.getStatus({})).cluster).toBe("lab");
    } finally {
      c.close();
      server.forceShutdown();
    }
  });

  it("a client trusting another CA is refused", async () => {
    const { server, port } = await startServer(
      serverCredentials({ certFile: tls.certFile, keyFile: tls.keyFile }),
    );
    const c = createClient(
      ClusterService,
      `localhost:${port}`,
      clientCredentials({ caFile: tls.otherCaFile }),
    );
    try {
      const err = await c.getStatus({}, { timeoutMs: 3_000 }).catch((e) => e);
      expect(err.code).toBe(ErrorCode.UNAVAILABLE);
    } finally {
      c.close();
      server.forceShutdown();
    }
  });

  it("a missing key file is one clear config error", () => {
    expect(() => serverCredentials({ certFile: tls.certFile, keyFile: join(tls.dir, "nope.key") })).toThrow(
      /cannot read key file .*nope\.key/,
    );
  });
});

describe("cleanDetails", () => {
  it.each([
    [
      "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ",
      "connect ECONNREFUSED 127.0.0.1:1",
    ],
    ["Deadline exceeded after 0.101s", "Deadline exceeded after 0.101s"],
    [
      "Name resolution failed for target dns:nohost:1. Resolution note: ",
      "Name resolution failed for target dns:nohost:1.",
    ],
  ])("%s", (details, want) => expect(cleanDetails(details)).toBe(want));
});
