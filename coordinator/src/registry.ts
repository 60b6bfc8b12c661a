import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  type BidiCall,
  type Command,
  type CommandProgress,
  type CommandResult,
  CommandSchema,
  clone,
  create,
  type DockerState,
  DockerStateSchema,
  durationFromMs,
  fromErrorInfo,
  GoodbyeReason,
  type Inventory,
  InventorySchema,
  type SessionRequest,
  type SessionResponse,
  SessionResponseSchema,
  statusFromError,
  timestampFromMs,
} from "@phoenix/proto";
import { createAbortFanout } from "./abort-fanout";
import { CommandFailedError } from "./command-failed-error";
import { createExpiryWheel } from "./expiry-wheel";
import { clashText, createClashTracker, type IdentityClash } from "./identity-clash";
import type { Logger } from "./logger";
import type { Secret } from "./secret";
import { tokenMatches } from "./token-match";

/** Which model guest an agent is, as decided by the coordinator's matcher. */
export interface AgentMatch {
  /** Model guest name (or adopted name); empty when the agent is not part of the model. */
  guest: string;
  vmid?: number;
  /** True when the model lists the guest. */
  inModel: boolean;
  /** True when the guest is not in the model but was adopted by the cluster policy. */
  adopted: boolean;
}

/** Decides which guest an agent is from its identity and inventory (may persist an adoption). */
export type AgentMatcher = (agentId: string, inventory: Inventory) => AgentMatch | Promise<AgentMatch>;

/** What the registry knows of one agent, connected or seen before. Read-only for callers. */
export interface AgentRecord {
  readonly agentId: string;
  /** Model guest name, or empty when not matched. */
  readonly guest: string;
  /** Guest name, else the hostname: how the agent is addressed and shown. */
  readonly name: string;
  readonly vmid: number | undefined;
  readonly hostname: string;
  readonly inModel: boolean;
  readonly adopted: boolean;
  readonly agentVersion: string;
  readonly inventory: Inventory;
  /** Latest Docker state (from heartbeats or the inventory). */
  readonly docker: DockerState | undefined;
  /** True while the session is open. */
  readonly connected: boolean;
  /** True while connected and heartbeating within TTL + grace. */
  readonly online: boolean;
  /** Last message from the agent (ms since the epoch). */
  readonly lastSeen: number;
  /** IP address the agent's session comes from: the guest's address on the network that reaches the coordinator. */
  readonly peerAddress: string;
  readonly sessionId: string;
  /** Commands sent and not answered yet. */
  readonly pendingCommands: number;
}

/** Called on registry changes; the coordinator turns these into events and reconciles. */
export interface RegistryHooks {
  /** A session was accepted (or a silent agent spoke again: resumed). */
  connected?(agent: AgentRecord, how: { replaced: boolean; resumed: boolean }): void;
  /** A session ended. */
  disconnected?(agent: AgentRecord, reason: string): void;
  /** No message within TTL + grace. */
  offline?(agent: AgentRecord, lastSeen: number): void;
  /** An InventoryUpdate arrived. */
  inventoryChanged?(agent: AgentRecord, changed: string[]): void;
  /** Swarm membership seen in a heartbeat changed (joined, left, promoted, demoted). */
  dockerChanged?(agent: AgentRecord): void;
}

/** Options of the registry. */
export interface RegistryOptions {
  enrollmentToken: Secret;
  heartbeatIntervalMs: number;
  heartbeatTtlMs: number;
  heartbeatGraceMs: number;
  /** Cluster name for Welcome. */
  cluster: () => string;
  match: AgentMatcher;
  logger: Logger;
  hooks?: RegistryHooks;
  /** How long a first message may take (default 10 s). */
  helloTimeoutMs?: number;
  /** How long commands of a disconnected agent wait for it to come back before AGENT_OFFLINE (default grace). */
  reconnectWindowMs?: number;
}

/** The `kind` oneof of a Command, e.g. `{ case: "ping", value: {} }`. */
export type CommandKind = NonNullable<MessageInitShape<typeof CommandSchema>["kind"]>;

/** Options of one command. */
export interface SendOptions {
  /** Deadline the agent gets; the promise rejects with TIMEOUT shortly after. Default 30 s. */
  timeoutMs?: number;
  /** Same key, same effect; default a fresh one. Derive it from the work so retries dedupe. */
  idempotencyKey?: string;
  /** Progress lines and log lines as they come. */
  onProgress?: (progress: CommandProgress) => void;
  /**
   * Stops waiting (CANCELLED) and tells the agent to stop the command (CancelCommand): a read or a
   * stream ends there too, a write runs to its end.
   */
  signal?: AbortSignal;
}

/** Sessions of every agent: liveness, guest matching, and commands with their awaited results. */
export interface Registry {
  /** The AgentService.Session handler. */
  session(call: BidiCall<SessionRequest, SessionResponse>): void;
  /** An agent by guest name, agent id or hostname. */
  get(target: string): AgentRecord | undefined;
  /** Every agent known since start. */
  list(): AgentRecord[];
  /**
   * Sends a command to one agent and waits for its result; an error result rejects as a
   * CommandFailedError that keeps the agent's whole answer (a partial report included).
   */
  send(target: string, kind: CommandKind, opts?: SendOptions): Promise<CommandResult>;
  /** Sends to many agents at once; one outcome per target, in order. */
  sendAll(
    targets: readonly string[],
    kind: CommandKind | ((target: string) => CommandKind),
    opts?: SendOptions | ((target: string) => SendOptions),
  ): Promise<PromiseSettledResult<CommandResult>[]>;
  /** Resolves when the agent is online (now or later), rejects AGENT_OFFLINE after timeoutMs. */
  waitOnline(target: string, timeoutMs: number, signal?: AbortSignal): Promise<AgentRecord>;
  /**
   * Updates the cached Docker state of an agent from a command's outcome (swarm init/join), so the
   * next step sees it before the agent's next heartbeat says the same.
   */
  noteDocker(target: string, patch: Partial<Omit<DockerState, "$typeName" | "$unknown">>): void;
  /** Runs the matcher again for every agent (after the model changed). */
  rematch(): Promise<void>;
  /** Counts for status and benchmarks. */
  stats(): { known: number; connected: number; online: number; pending: number };
  /** Agent ids that more than one machine presents (clones that kept /etc/machine-id), recently. */
  clashes(): IdentityClash[];
  /** Says Goodbye SHUTDOWN to every agent and ends the sessions. */
  close(message?: string): Promise<void>;
}

interface Pending {
  command: Command;
  agent: Agent;
  resolve(result: CommandResult): void;
  reject(err: PhoenixError): void;
  onProgress: ((progress: CommandProgress) => void) | undefined;
  timer: NodeJS.Timeout;
  /** Set while the agent is disconnected: when to give up waiting for it. */
  parkedUntil?: number;
  cleanup(): void;
}

interface Session {
  id: string;
  call: BidiCall<SessionRequest, SessionResponse>;
  /** No more messages are taken from or sent to it. */
  closed: boolean;
  /** end() was called on the call. */
  ended: boolean;
}

/** Ends the stream once with status OK (after what was written). */
function finish(session: Session): void {
  session.closed = true;
  if (session.ended) return;
  session.ended = true;
  try {
    session.call.end();
  } catch {
    // the transport is gone already
  }
}

/** Ends the stream once with an error status. */
function fail(session: Session, err: PhoenixError): void {
  session.closed = true;
  if (session.ended) return;
  session.ended = true;
  session.call.emit("error", statusFromError(err));
}

class Agent implements AgentRecord {
  guest = "";
  vmid: number | undefined;
  inModel = false;
  adopted = false;
  agentVersion = "";
  inventory: Inventory = create(InventorySchema);
  docker: DockerState | undefined;
  online = false;
  lastSeen = 0;
  peerAddress = "";
  session: Session | undefined;
  pending = new Map<string, Pending>();

  constructor(readonly agentId: string) {}

  get name(): string {
    return this.guest || this.hostname || this.agentId;
  }
  get hostname(): string {
    return this.inventory.host?.hostname ?? "";
  }
  get connected(): boolean {
    return this.session !== undefined && !this.session.closed;
  }
  get sessionId(): string {
    return this.session?.id ?? "";
  }
  get pendingCommands(): number {
    return this.pending.size;
  }
}

/** Cancelled commands remembered until the agent's last answer to them arrives, at most. */
const MAX_CANCELLED = 1_024;

/** Time given to the agent's own TIMEOUT answer to arrive after the deadline. */
const commandSlackMs = (timeoutMs: number) => Math.min(2_000, 200 + timeoutMs / 10);

function goodbye(reason: GoodbyeReason, message: string): SessionResponse {
  return create(SessionResponseSchema, { msg: { case: "goodbye", value: { reason, message } } });
}

/** IP of a grpc-js peer string ("ipv4:10.0.0.2:5000", "10.0.0.2:5000", "[::1]:5000", "ipv6:[::1]:5000"). */
export function peerIp(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, "");
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(p);
  if (v6) return v6[1]!;
  const v4 = /^([^:]+):\d+$/.exec(p);
  return v4 ? v4[1]! : p;
}

function swarmKey(d: DockerState | undefined): string {
  if (!d) return "";
  return `${d.status}|${d.swarmState}|${d.nodeId}|${d.manager}|${d.clusterId}`;
}

/** Creates the agent registry. One periodic tick checks every agent's liveness through a timer wheel. */
export function createRegistry(opts: RegistryOptions): Registry {
  const log = opts.logger;
  const hooks = opts.hooks ?? {};
  const helloTimeoutMs = opts.helloTimeoutMs ?? 10_000;
  const reconnectWindowMs = opts.reconnectWindowMs ?? opts.heartbeatGraceMs;
  const silenceMs = opts.heartbeatTtlMs + opts.heartbeatGraceMs;
  const tickMs = Math.min(
    1_000,
    Math.max(25, Math.floor(Math.min(opts.heartbeatIntervalMs, opts.heartbeatGraceMs) / 4)),
  );

  const byId = new Map<string, Agent>();
  const byName = new Map<string, Agent>();
  const liveness = createExpiryWheel<Agent>(tickMs);
  const parked = new Set<Agent>();
  const clashTracker = createClashTracker();
  const waiters = new Map<Agent | string, Set<() => void>>();
  /** Commands cancelled on their agent, by id, until its final answer arrives: what they were. */
  const cancelled = new Map<string, string>();
  /** One abort listener per caller signal, however many commands and waits share it. */
  const aborts = createAbortFanout();
  let closing = false;

  const notifyOnline = (agent: Agent) => {
    for (const key of [agent, agent.name, agent.agentId, agent.hostname]) {
      const set = waiters.get(key);
      if (!set) continue;
      waiters.delete(key);
      for (const w of set) w();
    }
  };

  const index = (agent: Agent, previousName?: string) => {
    if (previousName !== undefined && previousName !== agent.name && byName.get(previousName) === agent) {
      byName.delete(previousName);
    }
    const holder = byName.get(agent.name);
    if (holder && holder !== agent && holder.connected) {
      log.warn(
        { guest: agent.name, agentId: agent.agentId, otherAgentId: holder.agentId },
        "two agents claim the same guest; the newer session wins",
      );
    }
    byName.set(agent.name, agent);
  };

  const touch = (agent: Agent) => {
    const now = Date.now();
    agent.lastSeen = now;
    liveness.set(agent, now + silenceMs);
    if (!agent.online && agent.connected) {
      agent.online = true;
      log.info({ guest: agent.name, agentId: agent.agentId }, "agent is heartbeating again");
      hooks.connected?.(agent, { replaced: false, resumed: true });
      notifyOnline(agent);
    }
  };

  const write = (session: Session, msg: SessionResponse): boolean => {
    if (session.closed) return false;
    try {
      session.call.write(msg);
      return true;
    } catch (err) {
      log.debug({ err: (err as Error).message, sessionId: session.id }, "write to a closing session failed");
      return false;
    }
  };

  const dispatch = (agent: Agent, p: Pending) => {
    if (agent.session) {
      write(agent.session, create(SessionResponseSchema, { msg: { case: "command", value: p.command } }));
    }
  };

  const settle = (p: Pending) => {
    clearTimeout(p.timer);
    p.agent.pending.delete(p.command.id);
    p.cleanup();
  };

  const tick = setInterval(() => {
    const now = Date.now();
    for (const agent of liveness.advance(now)) {
      if (!agent.online) continue;
      agent.online = false;
      log.warn(
        { guest: agent.name, agentId: agent.agentId, silentMs: now - agent.lastSeen },
        "agent offline: no heartbeat within TTL + grace",
      );
      hooks.offline?.(agent, agent.lastSeen);
    }
    for (const agent of parked) {
      if (agent.connected) {
        parked.delete(agent);
        continue;
      }
      for (const p of [...agent.pending.values()]) {
        if (p.parkedUntil !== undefined && p.parkedUntil <= now) {
          settle(p);
          p.reject(
            new PhoenixError(
              ErrorCode.AGENT_OFFLINE,
              `agent of ${agent.name} disconnected and did not come back`,
              {
                place: { node: agent.name, command: p.command.kind.case ?? "" },
              },
            ),
          );
        }
      }
      if (agent.pending.size === 0) parked.delete(agent);
    }
  }, tickMs);
  tick.unref();

  const endSession = (agent: Agent | undefined, session: Session, reason: string) => {
    if (session.closed) return;
    session.closed = true;
    if (!agent || agent.session !== session) return;
    agent.online = false;
    liveness.delete(agent);
    const now = Date.now();
    for (const p of agent.pending.values()) p.parkedUntil = now + reconnectWindowMs;
    if (agent.pending.size > 0) parked.add(agent);
    log.info(
      { guest: agent.name, agentId: agent.agentId, sessionId: session.id, reason },
      "agent disconnected",
    );
    if (!closing) hooks.disconnected?.(agent, reason);
  };

  const accept = async (
    call: BidiCall<SessionRequest, SessionResponse>,
    session: Session,
    hello: Extract<SessionRequest["msg"], { case: "hello" }>["value"],
  ): Promise<Agent | undefined> => {
    const peer = call.getPeer();
    if (!hello.agentId) {
      write(session, goodbye(GoodbyeReason.PROTOCOL, "Hello needs an agent_id"));
      finish(session);
      return undefined;
    }
    if (!tokenMatches(hello.enrollmentToken, opts.enrollmentToken)) {
      log.warn(
        { agentId: hello.agentId, hostname: hello.inventory?.host?.hostname ?? "", peer },
        "agent refused: wrong enrollment token",
      );
      fail(
        session,
        new PhoenixError(
          ErrorCode.UNAUTHENTICATED,
          "enrollment token refused: check the agent's enrollment token",
        ),
      );
      return undefined;
    }
    const inventory = hello.inventory ?? create(InventorySchema);
    const match = await opts.match(hello.agentId, inventory);
    if (session.closed) return undefined;
    let agent = byId.get(hello.agentId);
    const replaced = agent?.connected === true;
    if (!agent) {
      agent = new Agent(hello.agentId);
      byId.set(agent.agentId, agent);
    }
    const previousName = agent.name;
    const old = agent.session;
    agent.session = session;
    if (old && !old.closed) {
      write(old, goodbye(GoodbyeReason.REPLACED, "a newer session of this agent replaced this one"));
      finish(old);
      log.info({ guest: agent.name, agentId: agent.agentId, sessionId: old.id }, "agent session replaced");
      const clash = clashTracker.replaced(
        agent.agentId,
        { hostname: agent.hostname, vmid: agent.vmid, peer: agent.peerAddress },
        {
          hostname: inventory.host?.hostname ?? "",
          vmid: match.vmid ?? inventory.host?.vmid,
          peer: peerIp(peer),
        },
        Date.now(),
      );
      if (clash) log.warn({ agentId: agent.agentId, machines: clash.machines }, clashText(clash));
    }
    agent.inventory = inventory;
    agent.docker = inventory.docker;
    agent.agentVersion = hello.agentVersion;
    agent.peerAddress = peerIp(peer);
    agent.guest = match.guest;
    agent.vmid = match.vmid ?? inventory.host?.vmid;
    agent.inModel = match.inModel;
    agent.adopted = match.adopted;
    index(agent, previousName);
    write(
      session,
      create(SessionResponseSchema, {
        msg: {
          case: "welcome",
          value: {
            sessionId: session.id,
            heartbeatInterval: durationFromMs(opts.heartbeatIntervalMs),
            heartbeatTtl: durationFromMs(opts.heartbeatTtlMs),
            cluster: opts.cluster(),
            guest: agent.guest,
          },
        },
      }),
    );
    agent.online = true;
    agent.lastSeen = Date.now();
    liveness.set(agent, agent.lastSeen + silenceMs);
    parked.delete(agent);
    log.info(
      {
        guest: agent.name,
        agentId: agent.agentId,
        sessionId: session.id,
        inModel: agent.inModel,
        adopted: agent.adopted,
        version: agent.agentVersion,
        peer: agent.peerAddress,
      },
      "agent connected",
    );
    // Commands still waiting from an earlier session go out again with their keys: the agent answers
    // a finished one from its record instead of acting twice.
    for (const p of agent.pending.values()) {
      delete p.parkedUntil;
      dispatch(agent, p);
    }
    hooks.connected?.(agent, { replaced, resumed: false });
    notifyOnline(agent);
    return agent;
  };

  const handleMessage = (agent: Agent, session: Session, req: SessionRequest) => {
    if (agent.session !== session) return;
    touch(agent);
    const msg = req.msg;
    switch (msg.case) {
      case "heartbeat": {
        if (msg.value.docker) {
          const before = swarmKey(agent.docker);
          agent.docker = msg.value.docker;
          if (swarmKey(agent.docker) !== before) hooks.dockerChanged?.(agent);
        }
        return;
      }
      case "inventoryUpdate": {
        const inv = msg.value.inventory;
        if (!inv) return;
        const previousName = agent.name;
        agent.inventory = inv;
        const before = swarmKey(agent.docker);
        agent.docker = inv.docker;
        if (previousName !== agent.name) index(agent, previousName);
        log.info({ guest: agent.name, changed: msg.value.changed }, "inventory changed");
        hooks.inventoryChanged?.(agent, [...msg.value.changed]);
        if (swarmKey(agent.docker) !== before) hooks.dockerChanged?.(agent);
        return;
      }
      case "commandProgress": {
        agent.pending.get(msg.value.commandId)?.onProgress?.(msg.value);
        return;
      }
      case "commandResult": {
        const p = agent.pending.get(msg.value.commandId);
        if (!p) {
          const kind = cancelled.get(msg.value.commandId);
          if (kind !== undefined) {
            cancelled.delete(msg.value.commandId);
            log.info(
              {
                guest: agent.name,
                commandId: msg.value.commandId,
                command: kind,
                code: msg.value.error?.code ?? "OK",
              },
              "a cancelled command ended on its agent",
            );
            return;
          }
          log.debug(
            { guest: agent.name, commandId: msg.value.commandId },
            "result for a command nobody waits for",
          );
          return;
        }
        settle(p);
        const result = msg.value;
        if (result.result.case === "refreshInventory" && result.result.value.inventory) {
          agent.inventory = result.result.value.inventory;
          agent.docker = agent.inventory.docker;
        }
        if (result.error) {
          const err = fromErrorInfo(result.error);
          const place = { node: agent.name, command: p.command.kind.case ?? "", ...err.place };
          p.reject(
            new CommandFailedError(err.code, err.message, {
              place,
              details: err.details,
              cause: err,
              result,
            }),
          );
        } else p.resolve(result);
        return;
      }
      case "hello": {
        write(session, goodbye(GoodbyeReason.PROTOCOL, "Hello may only be sent once per session"));
        endSession(agent, session, "protocol violation: second Hello");
        finish(session);
        return;
      }
      default:
        return;
    }
  };

  const find = (target: string): Agent | undefined => {
    const named = byName.get(target) ?? byId.get(target);
    if (named) return named;
    for (const a of byId.values()) if (a.hostname === target) return a;
    return undefined;
  };

  /** Tells the agent to stop a command whose caller went away; its final answer is then only logged. */
  const cancelOnAgent = (agent: Agent, command: Command) => {
    const session = agent.session;
    if (!session || session.closed) return;
    const sent = write(
      session,
      create(SessionResponseSchema, {
        msg: { case: "cancel", value: { commandId: command.id, reason: "the caller cancelled" } },
      }),
    );
    if (!sent) return;
    const kind = command.kind.case ?? "";
    if (cancelled.size >= MAX_CANCELLED) cancelled.delete(cancelled.keys().next().value as string);
    cancelled.set(command.id, kind);
    log.info({ guest: agent.name, commandId: command.id, command: kind }, "command cancelled on its agent");
  };

  const send = (target: string, kind: CommandKind, o: SendOptions = {}): Promise<CommandResult> => {
    const agent = find(target);
    const what = kind.case ?? "command";
    if (!agent?.connected) {
      return Promise.reject(
        new PhoenixError(
          ErrorCode.AGENT_OFFLINE,
          agent ? `agent of ${agent.name} is not connected` : `no agent is connected for ${target}`,
          { place: { node: agent?.name ?? target, command: what } },
        ),
      );
    }
    if (o.signal?.aborted) {
      return Promise.reject(
        new PhoenixError(ErrorCode.CANCELLED, `${what} cancelled`, { place: { node: agent.name } }),
      );
    }
    const timeoutMs = o.timeoutMs ?? 30_000;
    const command = create(CommandSchema, {
      id: randomUUID(),
      deadline: timestampFromMs(Date.now() + timeoutMs),
      idempotencyKey: o.idempotencyKey ?? randomUUID(),
      kind,
    });
    return new Promise<CommandResult>((resolve, reject) => {
      const onAbort = () => {
        settle(p);
        cancelOnAgent(agent, command);
        reject(
          new PhoenixError(ErrorCode.CANCELLED, `${what} cancelled`, {
            place: { node: agent.name, command: what },
          }),
        );
      };
      const p: Pending = {
        command,
        agent,
        resolve,
        reject,
        onProgress: o.onProgress,
        timer: setTimeout(() => {
          settle(p);
          reject(
            new PhoenixError(ErrorCode.TIMEOUT, `${what} got no answer within ${timeoutMs} ms`, {
              place: { node: agent.name, command: what },
            }),
          );
        }, timeoutMs + commandSlackMs(timeoutMs)),
        cleanup: o.signal ? aborts.on(o.signal, onAbort) : () => {},
      };
      p.timer.unref();
      agent.pending.set(command.id, p);
      dispatch(agent, p);
    });
  };

  return {
    session(call) {
      const session: Session = { id: randomUUID(), call, closed: false, ended: false };
      if (closing) {
        write(session, goodbye(GoodbyeReason.SHUTDOWN, "the coordinator is shutting down"));
        finish(session);
        return;
      }
      let agent: Agent | undefined;
      let accepting = false;
      const early: SessionRequest[] = [];
      const helloTimer = setTimeout(() => {
        if (accepting || session.closed) return;
        write(session, goodbye(GoodbyeReason.PROTOCOL, "no Hello received"));
        finish(session);
      }, helloTimeoutMs);
      helloTimer.unref();
      call.on("data", (req: SessionRequest) => {
        if (session.closed) return;
        if (agent) return handleMessage(agent, session, req);
        if (accepting) {
          early.push(req);
          return;
        }
        clearTimeout(helloTimer);
        if (req.msg.case !== "hello") {
          write(session, goodbye(GoodbyeReason.PROTOCOL, "the first message must be Hello"));
          finish(session);
          return;
        }
        accepting = true;
        const hello = req.msg.value;
        accept(call, session, hello).then(
          (a) => {
            agent = a;
            if (a) for (const m of early.splice(0)) handleMessage(a, session, m);
          },
          (err) => {
            log.error({ err: (err as Error).message, agentId: hello.agentId }, "accepting an agent failed");
            fail(session, PhoenixError.from(err));
          },
        );
      });
      call.on("end", () => {
        endSession(agent, session, "stream closed by the agent");
        finish(session);
      });
      call.on("cancelled", () => endSession(agent, session, "stream cancelled"));
      call.on("error", (err: Error) => endSession(agent, session, `stream error: ${err.message}`));
      call.on("close", () => endSession(agent, session, "stream closed"));
    },

    get: find,

    list: () => [...byId.values()],

    send,

    sendAll(targets, kind, o) {
      return Promise.allSettled(
        targets.map((t) =>
          send(t, typeof kind === "function" ? kind(t) : kind, typeof o === "function" ? o(t) : o),
        ),
      );
    },

    waitOnline(target, timeoutMs, signal) {
      const now = find(target);
      if (now?.online) return Promise.resolve(now);
      return new Promise<AgentRecord>((resolve, reject) => {
        const key: Agent | string = now ?? target;
        let set = waiters.get(key);
        if (!set) {
          set = new Set();
          waiters.set(key, set);
        }
        const done = () => {
          clearTimeout(timer);
          forgetAbort();
          const a = find(target);
          if (a) resolve(a);
          else
            reject(
              new PhoenixError(ErrorCode.AGENT_OFFLINE, `no agent for ${target}`, {
                place: { node: target },
              }),
            );
        };
        const stop = (err: PhoenixError) => {
          clearTimeout(timer);
          set.delete(done);
          if (set.size === 0 && waiters.get(key) === set) waiters.delete(key);
          forgetAbort();
          reject(err);
        };
        const onAbort = () => stop(new PhoenixError(ErrorCode.CANCELLED, `waiting for ${target} cancelled`));
        const timer = setTimeout(
          () =>
            stop(
              new PhoenixError(
                ErrorCode.AGENT_OFFLINE,
                `agent of ${target} did not come online within ${timeoutMs} ms`,
                {
                  place: { node: target },
                },
              ),
            ),
          timeoutMs,
        );
        timer.unref();
        const forgetAbort = signal ? aborts.on(signal, onAbort) : () => {};
        set.add(done);
      });
    },

    noteDocker(target, patch) {
      const agent = find(target);
      if (!agent) return;
      const next = agent.docker ? clone(DockerStateSchema, agent.docker) : create(DockerStateSchema);
      agent.docker = Object.assign(next, patch);
    },

    async rematch() {
      for (const agent of byId.values()) {
        const match = await opts.match(agent.agentId, agent.inventory);
        const previousName = agent.name;
        agent.guest = match.guest;
        agent.vmid = match.vmid ?? agent.inventory.host?.vmid;
        agent.inModel = match.inModel;
        agent.adopted = match.adopted;
        if (previousName !== agent.name) {
          log.info(
            { agentId: agent.agentId, from: previousName, to: agent.name },
            "agent matched to another guest",
          );
          index(agent, previousName);
        }
      }
    },

    clashes() {
      return clashTracker.list(Date.now());
    },

    stats() {
      let connected = 0;
      let online = 0;
      let pending = 0;
      for (const a of byId.values()) {
        if (a.connected) connected++;
        if (a.online) online++;
        pending += a.pending.size;
      }
      return { known: byId.size, connected, online, pending };
    },

    async close(message = "the coordinator is shutting down") {
      closing = true;
      clearInterval(tick);
      const ends: Promise<void>[] = [];
      for (const agent of byId.values()) {
        const s = agent.session;
        for (const p of [...agent.pending.values()]) {
          settle(p);
          p.reject(new PhoenixError(ErrorCode.UNAVAILABLE, message, { place: { node: agent.name } }));
        }
        if (!s || s.closed) continue;
        write(s, goodbye(GoodbyeReason.SHUTDOWN, message));
        agent.online = false;
        liveness.delete(agent);
        ends.push(
          new Promise<void>((resolve) => {
            s.call.once("finish", () => resolve());
            finish(s);
            setTimeout(resolve, 1_000).unref();
          }),
        );
      }
      await Promise.all(ends);
    },
  };
}

/** Kinds of command results. */
export type ResultCase = NonNullable<CommandResult["result"]["case"]>;
/** The result message of one kind. */
export type ResultValue<C extends ResultCase> =
  Extract<CommandResult["result"], { case: C }> extends { value: infer V } ? V : never;

/** The typed result of a command, or INTERNAL when the agent answered with another kind. */
export function resultOf<C extends ResultCase>(result: CommandResult, kind: C): ResultValue<C> {
  if (result.result.case !== kind) {
    throw new PhoenixError(
      ErrorCode.INTERNAL,
      `expected a ${kind} result, got ${result.result.case ?? "none"}`,
    );
  }
  return result.result.value as ResultValue<C>;
}
