import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { PhoenixError } from "@phoenix/errors";
import {
  AgentService,
  type CancelCommand,
  type Command,
  CommandResultSchema,
  clientCredentials,
  create,
  createClient,
  errorFromStatus,
  type Goodbye,
  type InventorySchema,
  type SessionRequest,
  SessionRequestSchema,
  type SessionResponse,
  timestampNow,
  type Welcome,
} from "@phoenix/proto";
import { VERSION } from "../config";

/** What the scripted agent answers to a command: a result, nothing (stay silent), or a delay first. */
export type ScriptedAnswer = ResultInit | undefined | Promise<ResultInit | undefined>;

type ResultInit = MessageInitShape<typeof CommandResultSchema>;

/** Options of a scripted agent session. */
export interface ScriptedAgentOptions {
  agentId: string;
  token: string;
  inventory?: MessageInitShape<typeof InventorySchema>;
  agentVersion?: string;
  /** Answers commands; default: ping echoes, anything else is silent. */
  handle?: (command: Command, agent: ScriptedAgent) => ScriptedAnswer;
  /** Send Hello first (default true). */
  hello?: boolean;
  /** Heartbeat on the Welcome's interval (default true). */
  heartbeat?: boolean;
}

/**
 * One AgentService session driven from a test over real gRPC: sends Hello, heartbeats on the interval
 * the coordinator returns, records commands and answers them through `handle`.
 */
export interface ScriptedAgent {
  readonly welcome: Promise<Welcome>;
  /** Resolves when the stream ends: undefined for OK, the error otherwise. */
  readonly ended: Promise<PhoenixError | undefined>;
  readonly commands: Command[];
  /** CancelCommands received, in order. */
  readonly cancels: CancelCommand[];
  readonly goodbyes: Goodbye[];
  send(msg: MessageInitShape<typeof SessionRequestSchema>["msg"]): void;
  /** Stops heartbeating but keeps the stream open (a silent agent). */
  silence(): void;
  /** Closes the stream from the agent's side. */
  close(): void;
}

/** Opens a scripted session against a coordinator listening on `address`. */
export function startScriptedAgent(address: string, o: ScriptedAgentOptions): ScriptedAgent {
  const client = createClient(AgentService, address, clientCredentials());
  const call: ClientDuplexStream<SessionRequest, SessionResponse> = client.session();
  const commands: Command[] = [];
  const cancels: CancelCommand[] = [];
  const goodbyes: Goodbye[] = [];
  let hb: NodeJS.Timeout | undefined;
  let seq = 0n;
  let resolveWelcome!: (w: Welcome) => void;
  let rejectWelcome!: (e: unknown) => void;
  const welcome = new Promise<Welcome>((res, rej) => {
    resolveWelcome = res;
    rejectWelcome = rej;
  });
  welcome.catch(() => {});
  const send = (msg: MessageInitShape<typeof SessionRequestSchema>["msg"]) => {
    call.write(create(SessionRequestSchema, { msg }));
  };
  const agent: ScriptedAgent = {
    welcome,
    ended: new Promise((resolve) => {
      call.on("error", (err) => {
        clearInterval(hb);
        const pe = errorFromStatus(err);
        rejectWelcome(pe);
        client.close();
        resolve(pe);
      });
      call.on("end", () => {
        clearInterval(hb);
        rejectWelcome(new PhoenixError("UNAVAILABLE", "stream ended before Welcome"));
        client.close();
        resolve(undefined);
      });
    }),
    commands,
    cancels,
    goodbyes,
    send,
    silence: () => clearInterval(hb),
    close: () => {
      clearInterval(hb);
      call.end();
    },
  };
  call.on("data", (res: SessionResponse) => {
    const msg = res.msg;
    if (msg.case === "welcome") {
      resolveWelcome(msg.value);
      if (o.heartbeat !== false) {
        const ms =
          Number(msg.value.heartbeatInterval?.seconds ?? 1n) * 1000 +
          (msg.value.heartbeatInterval?.nanos ?? 0) / 1e6;
        hb = setInterval(
          () => send({ case: "heartbeat", value: { seq: ++seq, sentAt: timestampNow() } }),
          ms,
        );
      }
    } else if (msg.case === "goodbye") {
      goodbyes.push(msg.value);
    } else if (msg.case === "cancel") {
      cancels.push(msg.value);
    } else if (msg.case === "command") {
      const command = msg.value;
      commands.push(command);
      const answer =
        o.handle?.(command, agent) ??
        (command.kind.case === "ping"
          ? { result: { case: "ping", value: { payload: command.kind.value.payload } } }
          : undefined);
      void Promise.resolve(answer).then((a) => {
        if (!a) return;
        send({
          case: "commandResult",
          value: create(CommandResultSchema, {
            ...a,
            commandId: command.id,
            idempotencyKey: command.idempotencyKey,
          }),
        });
      });
    }
  });
  if (o.hello === false) return agent;
  send({
    case: "hello",
    value: {
      agentId: o.agentId,
      enrollmentToken: o.token,
      agentVersion: o.agentVersion ?? VERSION,
      inventory: o.inventory ?? { host: { hostname: o.agentId } },
    },
  });
  return agent;
}
