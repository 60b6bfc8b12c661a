/**
 * The transport's floor for the fan-out: the same AgentService.Session stream and the same messages
 * (a ping Command out, a CommandResult back) over grpc-js, with none of Phoenix's registry or
 * session code. `grpc-floor server` listens on loopback and, asked over IPC, writes a ping to every
 * open stream and times each answer; `grpc-floor client <address> <count>` opens that many streams,
 * each on a connection of its own, and answers every ping at once.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import {
  AgentService,
  addService,
  CommandResultSchema,
  CommandSchema,
  create,
  createClient,
  defaultServerOptions,
  durationMs,
  type SessionRequest,
  SessionRequestSchema,
  type SessionResponse,
  SessionResponseSchema,
  timestampFromMs,
  timestampNow,
} from "@phoenix/proto";
import type { HostReply, HostRequest } from "./messages";
import { ownConnection } from "./own-connection";

type Stream = grpc.ServerDuplexStream<SessionRequest, SessionResponse>;

async function server(): Promise<void> {
  const streams = new Set<Stream>();
  const waiting = new Map<string, () => void>();
  const srv = new grpc.Server(defaultServerOptions);
  addService(srv, AgentService, {
    session: (call: Stream) => {
      streams.add(call);
      call.on("data", (req: SessionRequest) => {
        if (req.msg.case === "commandResult") waiting.get(req.msg.value.commandId)?.();
      });
      call.on("end", () => {
        streams.delete(call);
        call.end();
      });
      call.on("error", () => streams.delete(call));
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    srv.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const payload = new Uint8Array(16);
  const reply = (m: HostReply) => process.send!(m);
  process.on("message", async (m: HostRequest) => {
    if (m.type === "stats") {
      const n = streams.size;
      return reply({ type: "stats", known: n, connected: n, online: n, pending: waiting.size });
    }
    if (m.type === "stop") {
      srv.forceShutdown();
      process.exit(0);
    }
    const cpuBefore = process.cpuUsage();
    const rtts: number[] = [];
    const start = performance.now();
    await Promise.all(
      [...streams].map(
        (call) =>
          new Promise<void>((resolve) => {
            const command = create(CommandSchema, {
              id: randomUUID(),
              deadline: timestampFromMs(Date.now() + m.timeoutMs),
              idempotencyKey: randomUUID(),
              kind: { case: "ping", value: { payload } },
            });
            waiting.set(command.id, () => {
              waiting.delete(command.id);
              rtts.push(performance.now() - start);
              resolve();
            });
            call.write(create(SessionResponseSchema, { msg: { case: "command", value: command } }));
          }),
      ),
    );
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    reply({ type: "pinged", rtts, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, failures: 0 });
  });
  process.on("disconnect", () => process.exit(0));
  reply({ type: "ready", address: `127.0.0.1:${port}` });
}

async function client(address: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const c = createClient(AgentService, address, ownConnection(grpc.credentials.createInsecure()));
    const call = c.session();
    call.on("data", (res: SessionResponse) => {
      if (res.msg.case !== "command") return;
      const cmd = res.msg.value;
      if (cmd.kind.case !== "ping") return;
      const result = create(CommandResultSchema, {
        commandId: cmd.id,
        idempotencyKey: cmd.idempotencyKey,
        result: { case: "ping", value: { payload: cmd.kind.value.payload } },
      });
      call.write(create(SessionRequestSchema, { msg: { case: "commandResult", value: result } }));
    });
    call.on("error", () => {});
    // A first message starts the call on the server, as Hello does for an agent.
    call.write(create(SessionRequestSchema, { msg: { case: "heartbeat", value: { seq: 1n } } }));
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
  }
  process.on("SIGTERM", () => process.exit(0));
}

async function session(address: string, tokenFile: string, agentId: string): Promise<void> {
  const enrollmentToken = (await readFile(tokenFile, "utf8")).trim();
  const c = createClient(AgentService, address, grpc.credentials.createInsecure());
  const call = c.session();
  let seq = 0n;
  call.on("data", (res: SessionResponse) => {
    if (res.msg.case !== "welcome") return;
    const every = res.msg.value.heartbeatInterval ? durationMs(res.msg.value.heartbeatInterval) : 5_000;
    setInterval(() => {
      seq++;
      call.write(
        create(SessionRequestSchema, { msg: { case: "heartbeat", value: { seq, sentAt: timestampNow() } } }),
      );
    }, every);
    process.stderr.write("connected to the coordinator\n");
  });
  call.on("error", (err: Error) => {
    process.stderr.write(`session: ${err.message}\n`);
    process.exit(1);
  });
  call.write(
    create(SessionRequestSchema, {
      msg: { case: "hello", value: { agentId, enrollmentToken, agentVersion: "floor", inventory: {} } },
    }),
  );
  process.on("SIGTERM", () => process.exit(0));
}

const [mode, ...args] = process.argv.slice(2);
const run =
  mode === "server"
    ? server()
    : mode === "session"
      ? session(args[0]!, args[1]!, args[2]!)
      : client(args[0]!, Number(args[1]));
run.catch((err: Error) => {
  process.stderr.write(`grpc-floor: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
