import { rmSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverCredentials } from "./credentials";
import { AgentServiceCodec } from "./gen/phoenix/v1/agent_codec";
import {
  AgentService,
  type SessionRequest,
  SessionRequestSchema,
  type SessionResponse,
  SessionResponseSchema,
} from "./gen/phoenix/v1/agent_pb";
import { addService, defaultServerOptions } from "./grpc";
import { type BidiStream, type BidiStreamOptions, openBidiStream } from "./h2-bidi";
import { statusFromError as statusOf } from "./status";
import { makeTestTls, type TestTls } from "./test-tls";
import { clientTls } from "./tls-files";

type Call = BidiStream<SessionRequest, SessionResponse>;

/** What the grpc-js server saw, per agent id. */
const seen = { cancelled: new Set<string>(), halfClosed: new Set<string>() };

/**
 * An AgentService whose behaviour is keyed off the Hello's agent id, so each case is explicit:
 * "echo" welcomes and answers every heartbeat with a command, "refuse" fails before any message
 * (a trailers-only response), "late-error" fails after a Welcome, "big" welcomes with a 2 MiB
 * cluster name.
 */
function startServer(creds: grpc.ServerCredentials): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server(defaultServerOptions);
  addService(server, AgentService, {
    session: (call) => {
      let agent = "";
      call.on("cancelled", () => seen.cancelled.add(agent));
      call.on("end", () => {
        seen.halfClosed.add(agent);
        call.end();
      });
      call.on("data", (req: SessionRequest) => {
        if (req.msg.case === "hello") {
          agent = req.msg.value.agentId;
          if (agent === "refuse") {
            call.emit(
              "error",
              statusOf(new PhoenixError(ErrorCode.UNAUTHENTICATED, "enrollment token rejected")),
            );
            return;
          }
          const cluster = agent === "big" ? "x".repeat(2 * 1024 * 1024) : "lab";
          call.write(welcome(agent, cluster));
          if (agent === "late-error") {
            call.emit(
              "error",
              statusOf(
                new PhoenixError(ErrorCode.NOT_FOUND, "no guest named late-error", {
                  place: { node: "late-error" },
                }),
              ),
            );
          }
        } else if (req.msg.case === "heartbeat") {
          call.write(
            create(SessionResponseSchema, {
              msg: { case: "command", value: { id: `c${req.msg.value.seq}` } },
            }),
          );
        }
      });
    },
  });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", creds, (err, port) => (err ? reject(err) : resolve({ server, port }))),
  );
}

function welcome(agent: string, cluster: string): SessionResponse {
  return create(SessionResponseSchema, {
    msg: { case: "welcome", value: { sessionId: "s1", cluster, guest: agent } },
  });
}

function hello(agentId: string): SessionRequest {
  return create(SessionRequestSchema, { msg: { case: "hello", value: { agentId } } });
}

function heartbeat(seq: bigint): SessionRequest {
  return create(SessionRequestSchema, { msg: { case: "heartbeat", value: { seq } } });
}

/** Everything a call emitted until "close". */
interface Outcome {
  messages: SessionResponse[];
  error?: PhoenixError;
  ended: boolean;
  events: string[];
}

function collect(call: Call, onData?: (msg: SessionResponse) => void): Promise<Outcome> {
  const out: Outcome = { messages: [], ended: false, events: [] };
  return new Promise((resolve) => {
    call.on("data", (m) => {
      out.messages.push(m);
      onData?.(m);
    });
    call.on("error", (e) => {
      out.error = e;
      out.events.push("error");
    });
    call.on("connect", () => out.events.push("connect"));
    call.on("end", () => {
      out.ended = true;
      out.events.push("end");
    });
    call.on("close", () => {
      out.events.push("close");
      resolve(out);
    });
  });
}

const waitFor = async (cond: () => boolean, ms = 3_000) => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("openBidiStream against a grpc-js server on loopback", () => {
  let server: grpc.Server;
  let address: string;
  const open = (opts?: BidiStreamOptions) => openBidiStream(AgentServiceCodec.session, address, opts);

  beforeAll(async () => {
    const s = await startServer(grpc.ServerCredentials.createInsecure());
    server = s.server;
    address = `127.0.0.1:${s.port}`;
  });
  afterAll(() => server.forceShutdown());

  it("exchanges messages both ways and ends with the server's OK status after a half-close", async () => {
    const call = open();
    const done = collect(call, (m) => {
      if (m.msg.case === "welcome") {
        call.write(heartbeat(1n));
        call.write(heartbeat(2n));
      }
      if (m.msg.case === "command" && m.msg.value.id === "c2") call.end();
    });
    call.write(hello("echo"));
    const out = await done;
    expect(out.messages.map((m) => (m.msg.case === "command" ? m.msg.value.id : m.msg.case))).toEqual([
      "welcome",
      "c1",
      "c2",
    ]);
    expect(out.error).toBeUndefined();
    expect(out.events).toEqual(["connect", "end", "close"]);
    expect(seen.halfClosed.has("echo")).toBe(true);
    expect(() => call.write(heartbeat(3n))).toThrow(/over/);
  });

  it("reads a status sent before any message (trailers-only) as the PhoenixError it was", async () => {
    const call = open();
    const done = collect(call);
    call.write(hello("refuse"));
    const out = await done;
    expect(out.messages).toEqual([]);
    expect(out.error).toBeInstanceOf(PhoenixError);
    expect(out.error!.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(out.error!.message).toBe("enrollment token rejected");
    expect(out.events).toEqual(["connect", "error", "close"]);
  });

  it("reads a status after messages with its ErrorInfo place", async () => {
    const call = open();
    const done = collect(call);
    call.write(hello("late-error"));
    const out = await done;
    expect(out.messages.map((m) => m.msg.case)).toEqual(["welcome"]);
    expect(out.error!.code).toBe(ErrorCode.NOT_FOUND);
    expect(out.error!.describe()).toBe("node late-error: no guest named late-error");
  });

  it("reassembles a message that spans many HTTP/2 frames", async () => {
    const call = open();
    const done = collect(call, () => call.end());
    call.write(hello("big"));
    const out = await done;
    const w = out.messages[0]!.msg;
    expect(w.case === "welcome" && w.value.cluster.length).toBe(2 * 1024 * 1024);
    expect(out.events).toEqual(["connect", "end", "close"]);
  });

  it("refuses a received message larger than the limit, naming both sizes", async () => {
    const call = open({ maxMessageBytes: 1024 * 1024 });
    const done = collect(call);
    call.write(hello("big"));
    const out = await done;
    expect(out.messages).toEqual([]);
    expect(out.error!.message).toMatch(/received message larger than max \(\d+ vs\. 1048576 bytes\)/);
  });

  it("refuses to send a message larger than the limit", () => {
    const call = open({ maxMessageBytes: 16 });
    collect(call);
    expect(() => call.write(hello("x".repeat(64)))).toThrow(/larger than max \(\d+ vs\. 16 bytes\)/);
    call.cancel();
  });

  it("cancel() resets the stream: the server sees the cancellation, the caller only 'close'", async () => {
    const call = open();
    const done = collect(call, () => call.cancel());
    call.write(hello("cancel-me"));
    const out = await done;
    expect(out.events).toEqual(["connect", "close"]);
    await waitFor(() => seen.cancelled.has("cancel-me"));
  });

  it("a refused connection is UNAVAILABLE with the socket's reason", async () => {
    const closed = await startServer(grpc.ServerCredentials.createInsecure());
    closed.server.forceShutdown();
    const call = openBidiStream(AgentServiceCodec.session, `127.0.0.1:${closed.port}`);
    const done = collect(call);
    call.write(hello("nobody"));
    const out = await done;
    expect(out.error!.code).toBe(ErrorCode.UNAVAILABLE);
    expect(out.error!.message).toMatch(/ECONNREFUSED 127\.0\.0\.1:\d+/);
    expect(out.events).toEqual(["error", "close"]);
  });

  it("a server that stops answering is noticed by the keepalive ping", async () => {
    // A TCP relay to the server that goes silent on command: the connection stays open, nothing arrives.
    let frozen = false;
    const sockets: Socket[] = [];
    const relay: Server = createServer((inbound) => {
      const [host, port] = address.split(":");
      const outbound = new Socket();
      sockets.push(inbound, outbound);
      outbound.connect(Number(port), host!);
      inbound.on("data", (d) => !frozen && outbound.write(d));
      outbound.on("data", (d) => !frozen && inbound.write(d));
      inbound.on("error", () => {});
      outbound.on("error", () => {});
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    const relayPort = (relay.address() as { port: number }).port;
    try {
      const call = openBidiStream(AgentServiceCodec.session, `127.0.0.1:${relayPort}`, {
        keepaliveMs: 100,
        keepaliveTimeoutMs: 200,
      });
      let welcomed = false;
      const done = collect(call, () => {
        welcomed = true;
      });
      call.write(hello("echo"));
      await waitFor(() => welcomed);
      frozen = true;
      const started = Date.now();
      const out = await done;
      expect(out.error!.code).toBe(ErrorCode.UNAVAILABLE);
      expect(out.error!.message).toBe("keepalive ping not answered within 200 ms");
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const s of sockets) s.destroy();
      relay.close();
    }
  });
  it("sends and receives messages larger than every flow-control window, and says when to wait for drain", async () => {
    // The agent id comes back as the Welcome's guest: 3 MiB each way, past the 64 KiB windows the
    // server starts with and the 1 MiB this side announces.
    const big = `echo-${"y".repeat(3 * 1024 * 1024)}`;
    const call = open();
    const done = collect(call, () => call.end());
    let drained = false;
    call.on("drain", () => {
      drained = true;
    });
    expect(call.write(hello(big))).toBe(false);
    const out = await done;
    expect(out.error).toBeUndefined();
    const w = out.messages[0]!.msg;
    expect(w.case === "welcome" && w.value.guest === big).toBe(true);
    expect(drained).toBe(true);
  });

  it("a server that does not speak HTTP/2 is UNAVAILABLE with the reason", async () => {
    const http1: Server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    });
    await new Promise<void>((r) => http1.listen(0, "127.0.0.1", r));
    try {
      const port = (http1.address() as { port: number }).port;
      const call = openBidiStream(AgentServiceCodec.session, `127.0.0.1:${port}`);
      const done = collect(call);
      call.write(hello("nobody"));
      const out = await done;
      expect(out.error!.code).toBe(ErrorCode.UNAVAILABLE);
      expect(out.error!.message).toMatch(
        /^HTTP\/2 protocol error from the server: frame of \d+ bytes, over the 16384 allowed$/,
      );
      expect(out.events).toEqual(["connect", "error", "close"]);
    } finally {
      http1.close();
    }
  });

  it("refuses an address that is not host:port", () => {
    expect(() => openBidiStream(AgentServiceCodec.session, "no-port")).toThrow(/"no-port" is not host:port/);
  });
});

describe("openBidiStream with TLS and a self-made CA", () => {
  let tls: TestTls;
  let server: grpc.Server;
  let address: string;

  beforeAll(async () => {
    tls = makeTestTls();
    const s = await startServer(serverCredentials({ certFile: tls.certFile, keyFile: tls.keyFile }));
    server = s.server;
    address = `localhost:${s.port}`;
  });
  afterAll(() => {
    server.forceShutdown();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  it("talks to a server whose certificate the CA signed", async () => {
    const call = openBidiStream(AgentServiceCodec.session, address, {
      tls: clientTls({ caFile: tls.caFile }),
    });
    const done = collect(call, () => call.end());
    call.write(hello("echo"));
    const out = await done;
    expect(out.messages.map((m) => m.msg.case)).toEqual(["welcome"]);
    expect(out.error).toBeUndefined();
  });

  it("refuses a server its CA did not sign, as UNAVAILABLE with the TLS reason", async () => {
    const call = openBidiStream(AgentServiceCodec.session, address, {
      tls: clientTls({ caFile: tls.otherCaFile }),
    });
    const done = collect(call);
    call.write(hello("echo"));
    const out = await done;
    expect(out.messages).toEqual([]);
    expect(out.error!.code).toBe(ErrorCode.UNAVAILABLE);
    expect(out.error!.message).toMatch(/certificate/);
  });

  it("a plaintext client is not welcomed by a TLS server", async () => {
    const call = openBidiStream(AgentServiceCodec.session, address);
    const done = collect(call);
    call.write(hello("echo"));
    const out = await done;
    expect(out.messages).toEqual([]);
    expect(out.error!.code).toBe(ErrorCode.UNAVAILABLE);
  });
});
