import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  AgentService,
  addService,
  type BidiCall,
  type Command,
  type CommandProgress,
  type CommandResult,
  CommandSchema,
  create,
  durationFromMs,
  type Heartbeat,
  type Hello,
  type InventoryUpdate,
  type MessageInitShape,
  type SessionRequest,
  type SessionResponse,
  SessionResponseSchema,
  serverCredentials,
  statusFromError,
  timestampFromMs,
} from "@phoenix/proto";

/** What one agent session sent to the test coordinator. */
export interface RecordedSession {
  readonly id: string;
  hello?: Hello;
  heartbeats: { at: number; heartbeat: Heartbeat }[];
  updates: InventoryUpdate[];
  results: CommandResult[];
  progress: CommandProgress[];
  /** True once the stream is over (either side). */
  ended: boolean;
  /** Sends a command on this session. */
  send(cmd: MessageInitShape<typeof CommandSchema>): void;
  /** Tells the agent to stop a command sent on this session (CancelCommand). */
  cancel(commandId: string, reason?: string): void;
  /** Ends the stream with Goodbye. */
  goodbye(reason: number, message?: string): void;
}

/** Options of startTestCoordinator. */
export interface TestCoordinatorOptions {
  /** Token Hello must carry; anything else ends the stream with UNAUTHENTICATED. */
  token: string;
  /** Interval returned in Welcome. */
  heartbeatMs: number;
  /** Port to bind on 127.0.0.1 (0 for any free port). */
  port?: number;
  /** Address to bind, default 127.0.0.1. */
  host?: string;
}

/** A real grpc-js AgentService server on loopback that records every session, for tests. */
export interface TestCoordinator {
  readonly port: number;
  readonly address: string;
  readonly sessions: RecordedSession[];
  /** Hello messages refused for a wrong token. */
  readonly refused: Hello[];
  /** The newest session that got a Welcome and is not over. */
  live(): RecordedSession | undefined;
  /** Sends a command on the live session and waits for its result. */
  run(cmd: MessageInitShape<typeof CommandSchema>, timeoutMs?: number): Promise<CommandResult>;
  /** Stops the server at once (streams break, as when the process dies). */
  stop(): Promise<void>;
  /** Binds again on the same port after stop(). */
  restart(): Promise<void>;
}

let counter = 0;

/** Polls `pred` every 20 ms until it returns a value other than undefined/false, or fails after timeoutMs. */
export async function waitFor<T>(
  pred: () => T | undefined | false,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = pred();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a test coordinator; it answers Hello with Welcome (or UNAUTHENTICATED) and records the rest. */
export async function startTestCoordinator(opts: TestCoordinatorOptions): Promise<TestCoordinator> {
  const host = opts.host ?? "127.0.0.1";
  const sessions: RecordedSession[] = [];
  const refused: Hello[] = [];
  let server: grpc.Server | undefined;
  let port = opts.port ?? 0;

  const handler = (call: BidiCall<SessionRequest, SessionResponse>) => {
    const id = `s${++counter}`;
    const write = (msg: MessageInitShape<typeof SessionResponseSchema>["msg"]) => {
      if (!rec.ended) call.write(create(SessionResponseSchema, { msg }));
    };
    const rec: RecordedSession = {
      id,
      heartbeats: [],
      updates: [],
      results: [],
      progress: [],
      ended: false,
      send: (cmd) => write({ case: "command", value: create(CommandSchema, cmd) }),
      cancel: (commandId, reason = "") => write({ case: "cancel", value: { commandId, reason } }),
      goodbye: (reason, message = "") => {
        write({ case: "goodbye", value: { reason, message } });
        rec.ended = true;
        call.end();
      },
    };
    call.on("data", (req: SessionRequest) => {
      switch (req.msg.case) {
        case "hello":
          if (req.msg.value.enrollmentToken !== opts.token) {
            refused.push(req.msg.value);
            rec.ended = true;
            // Emitting the status as an error ends the stream with it (destroy() would send none).
            call.emit(
              "error",
              statusFromError(new PhoenixError(ErrorCode.UNAUTHENTICATED, "enrollment token rejected")),
            );
            return;
          }
          rec.hello = req.msg.value;
          sessions.push(rec);
          write({
            case: "welcome",
            value: {
              sessionId: id,
              heartbeatInterval: durationFromMs(opts.heartbeatMs),
              heartbeatTtl: durationFromMs(opts.heartbeatMs * 3),
              cluster: "test",
              guest: req.msg.value.inventory?.host?.hostname ?? "",
            },
          });
          return;
        case "heartbeat":
          rec.heartbeats.push({ at: Date.now(), heartbeat: req.msg.value });
          return;
        case "inventoryUpdate":
          rec.updates.push(req.msg.value);
          return;
        case "commandResult":
          rec.results.push(req.msg.value);
          return;
        case "commandProgress":
          rec.progress.push(req.msg.value);
          return;
      }
    });
    const over = () => {
      rec.ended = true;
    };
    call.on("end", () => {
      over();
      call.end();
    });
    call.on("error", over);
    call.on("cancelled", over);
    call.on("close", over);
  };

  const bind = async () => {
    const s = new grpc.Server();
    addService(s, AgentService, { session: handler });
    port = await new Promise<number>((resolve, reject) =>
      s.bindAsync(`${host}:${port}`, serverCredentials(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    server = s;
  };
  await bind();

  const live = () => [...sessions].reverse().find((s) => !s.ended);
  return {
    get port() {
      return port;
    },
    get address() {
      return `${host}:${port}`;
    },
    sessions,
    refused,
    live,
    async run(cmd, timeoutMs = 30_000) {
      const session = await waitFor(live, timeoutMs, "a live session");
      const full = create(CommandSchema, cmd);
      if (!full.id) full.id = `c${++counter}`;
      if (!full.deadline) full.deadline = timestampFromMs(Date.now() + timeoutMs);
      session.send(full);
      return waitFor(
        () => session.results.find((r) => r.commandId === full.id),
        timeoutMs,
        `result of ${full.id}`,
      );
    },
    async stop() {
      server?.forceShutdown();
      server = undefined;
      for (const s of sessions) s.ended = true;
    },
    restart: bind,
  };
}

/** A Command's init shape, for tests that build commands. */
export type CommandInit = MessageInitShape<typeof CommandSchema>;
export type { Command };
