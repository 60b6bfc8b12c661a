import { hostname } from "node:os";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  AgentServiceCodec,
  type BidiStream,
  type ClientTls,
  type Command,
  create,
  type DockerState,
  durationMs,
  GoodbyeReason,
  type Inventory,
  type MessageInitShape,
  openBidiStream,
  type SessionRequest,
  SessionRequestSchema,
  type SessionResponse,
  timestampNow,
} from "@phoenix/proto";
import { type Backoff, createBackoff, slowDelay } from "./backoff";
import { type Executor, isStream } from "./executor";
import type { Logger } from "./logger";
import { redact } from "./redact";

/** What the session needs to know about the guest. */
export interface InventorySource {
  /** The full inventory (collected first when there is none yet). */
  current(): Promise<Inventory>;
  /** Reads the local Docker state now; never throws (an unreachable engine is a state). */
  dockerState(): Promise<DockerState>;
  /** Collects the periodic parts now and returns the whole inventory. */
  refresh(): Promise<Inventory>;
  /** Calls `listener` with the new inventory and the names of the parts that changed. */
  onChange(listener: (inventory: Inventory, changed: string[]) => void): () => void;
}

/** Options of createSession. */
export interface SessionOptions {
  /** Coordinator address, host:port. */
  coordinator: string;
  /** TLS material for the coordinator's address; plaintext when absent. */
  tls?: ClientTls;
  /** Sent in Hello only; never logged. */
  enrollmentToken: string;
  /** Agent identity; the inventory's machine id (then the hostname) when unset. */
  agentId?: string;
  agentVersion: string;
  inventory: InventorySource;
  executor: Executor;
  log: Logger;
  /** Delays between attempts (default 250 ms doubling up to 5 s, 30 s after 20 failures; full jitter). */
  backoff?: Backoff;
  /** Base delay after the coordinator refused the token or replaced the session (default 30 s). */
  slowRetryMs?: number;
  /** How long to wait for the connection (TCP, TLS, HTTP/2) to the coordinator (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * How long to wait for Welcome once connected (default 30 s): a coordinator that is up but busy
   * (a thousand agents reconnecting at once) is waited for rather than dialled again.
   */
  welcomeTimeoutMs?: number;
  /** Heartbeat interval when Welcome gives none (default 10 s). */
  defaultHeartbeatMs?: number;
  random?: () => number;
}

/** Where the session stands, for logs and tests. */
export interface SessionStatus {
  connected: boolean;
  sessionId: string;
  /** Sessions welcomed since start. */
  sessions: number;
  /** Failed attempts since the last welcome. */
  failures: number;
}

/** The agent's link to the coordinator: dials, keeps it alive, and dials again forever. */
export interface AgentSession {
  /** Starts the connect loop (returns at once). */
  start(): void;
  /** Ends the current session gracefully and stops dialling. */
  stop(): Promise<void>;
  status(): SessionStatus;
  /** Collects the inventory now and sends it as an InventoryUpdate (RefreshInventoryCommand). */
  refreshInventory(): Promise<Inventory>;
}

type Outcome = { welcomed: boolean; retry: "fast" | "slow" | "reset" };
type Duplex = BidiStream<SessionRequest, SessionResponse>;

/** Most significant parts of a DockerState: a change here is worth an InventoryUpdate at once. */
function dockerKey(d: DockerState | undefined): string {
  if (!d) return "";
  return [
    d.status,
    d.swarmState,
    d.nodeId,
    d.manager,
    d.clusterId,
    d.managerAddresses.join(","),
    d.nodeAddr,
  ].join("|");
}

const MIN_HEARTBEAT_MS = 50;
const MAX_HEARTBEAT_MS = 5 * 60_000;
const UNREACHABLE_LOG_EVERY_MS = 60_000;

/**
 * Creates the session loop: Hello (identity, token, version, inventory, known idempotency keys),
 * Welcome, heartbeats with the current Docker state on the interval the coordinator returns,
 * InventoryUpdate as soon as the inventory changes, commands run by the executor with their
 * progress and results sent back; a CancelCommand stops a command's work, and a closing session
 * stops its streaming commands. Any break is followed by a new attempt after a capped,
 * jittered backoff; a refused token is logged (without the token) and retried slowly.
 */
export function createSession(opts: SessionOptions): AgentSession {
  const log = opts.log;
  const backoff = opts.backoff ?? createBackoff({ random: opts.random });
  const random = opts.random ?? Math.random;
  const slowRetryMs = opts.slowRetryMs ?? 30_000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const welcomeTimeoutMs = opts.welcomeTimeoutMs ?? 30_000;
  const secrets = [opts.enrollmentToken];

  let stopped = true;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let endCurrent: ((graceful: boolean) => void) | undefined;
  /** The welcomed call, where results, progress and updates go. */
  let live: Duplex | undefined;
  let liveSessionId = "";
  let sessions = 0;
  let lastUnreachableLog = 0;
  let lastDocker: DockerState | undefined;
  let dockerProbe: Promise<DockerState> | undefined;
  let updatesSent = 0;

  const guard = (what: string, fn: () => unknown) => {
    try {
      const r = fn();
      if (r instanceof Promise)
        r.catch((err) => log.error({ err: redact(String(err), secrets) }, `${what} failed`));
    } catch (err) {
      log.error({ err: redact(String(err), secrets) }, `${what} failed`);
    }
  };

  /** An attempt that did not get through: a warning at most once a minute, debug otherwise. */
  const unreachable = (why: { code: string; message: string }) => {
    const now = Date.now();
    const warn = now - lastUnreachableLog >= UNREACHABLE_LOG_EVERY_MS;
    if (warn) lastUnreachableLog = now;
    log[warn ? "warn" : "debug"]({ coordinator: opts.coordinator, ...why }, "cannot reach the coordinator");
  };

  /** Writes to the live session; resolves when the stream has room again. */
  const send = (msg: MessageInitShape<typeof SessionRequestSchema>["msg"]): Promise<void> => {
    const call = live;
    if (!call) return Promise.resolve();
    const req: SessionRequest = create(SessionRequestSchema, { msg });
    try {
      if (call.write(req)) return Promise.resolve();
    } catch (err) {
      log.debug({ err: String(err) }, "write on a closing session dropped");
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        call.off("drain", done);
        call.off("close", done);
        resolve();
      };
      call.once("drain", done);
      call.once("close", done);
    });
  };

  const sendInventory = (inventory: Inventory, changed: string[]) => {
    updatesSent++;
    void send({ case: "inventoryUpdate", value: { inventory, changed } });
  };

  /** Reads the Docker state, at most one read at a time; a change of swarm membership refreshes the inventory. */
  const probeDocker = (): Promise<DockerState> => {
    dockerProbe ??= opts.inventory
      .dockerState()
      .then((d) => {
        const before = lastDocker;
        lastDocker = d;
        if (before && dockerKey(before) !== dockerKey(d)) {
          log.info(
            { status: d.status, swarm: d.swarmState, error: d.error || undefined },
            "docker state changed",
          );
          guard("inventory refresh", () => opts.inventory.refresh());
        }
        return d;
      })
      .finally(() => {
        dockerProbe = undefined;
      });
    return dockerProbe;
  };

  const onInventoryChange = (inventory: Inventory, changed: string[]) => {
    if (inventory.docker) lastDocker = inventory.docker;
    if (!live) return;
    log.info({ changed }, "inventory changed");
    sendInventory(inventory, changed);
  };
  opts.inventory.onChange((inv, changed) => guard("inventory update", () => onInventoryChange(inv, changed)));

  /** Runs a command of a session; `streams` holds the session's streaming commands while they run. */
  const runCommand = (cmd: Command, streams: Set<string>) => {
    if (isStream(cmd)) streams.add(cmd.id);
    void opts.executor
      .execute(cmd, (p) => send({ case: "commandProgress", value: p }))
      .then((result) => send({ case: "commandResult", value: result }))
      .catch((err) => log.error({ command: cmd.id, err: redact(String(err), secrets) }, "command crashed"))
      .finally(() => streams.delete(cmd.id));
  };

  /** The refresh the executor runs for RefreshInventoryCommand: always sends an InventoryUpdate. */
  const refreshAndSend = async (): Promise<Inventory> => {
    const before = updatesSent;
    const inventory = await opts.inventory.refresh();
    if (updatesSent === before) sendInventory(inventory, []);
    return inventory;
  };

  async function attempt(): Promise<Outcome> {
    const inventory = await opts.inventory.current();
    if (inventory.docker) lastDocker = inventory.docker;
    const agentId = opts.agentId || inventory.host?.machineId || hostname();
    const call: Duplex = openBidiStream(AgentServiceCodec.session, opts.coordinator, {
      tls: opts.tls,
      userAgent: `phoenix-agent/${opts.agentVersion}`,
    });
    /** Streaming commands of this session: their output has nowhere to go once it closes. */
    const streams = new Set<string>();

    return new Promise<Outcome>((resolve) => {
      let done = false;
      let welcomed = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let seq = 0n;

      const finish = (outcome: Outcome, graceful = false) => {
        if (done) return;
        done = true;
        clearTimeout(welcomeTimer);
        clearTimeout(heartbeat);
        if (live === call) {
          live = undefined;
          liveSessionId = "";
        }
        endCurrent = undefined;
        for (const id of [...streams]) opts.executor.cancel(id, "the session closed");
        if (graceful) {
          try {
            call.end();
          } catch {}
        }
        setTimeout(() => call.cancel(), graceful ? 200 : 0).unref();
        resolve({ ...outcome, welcomed });
      };
      endCurrent = (graceful) => finish({ welcomed, retry: "fast" }, graceful);

      let welcomeTimer = setTimeout(() => {
        unreachable({ code: ErrorCode.TIMEOUT, message: `no connection within ${connectTimeoutMs} ms` });
        finish({ welcomed, retry: "fast" });
      }, connectTimeoutMs);
      call.on("connect", () => {
        clearTimeout(welcomeTimer);
        if (done || welcomed) return;
        welcomeTimer = setTimeout(() => {
          log.warn(
            { coordinator: opts.coordinator, timeoutMs: welcomeTimeoutMs },
            "no Welcome from the coordinator in time",
          );
          finish({ welcomed, retry: "fast" });
        }, welcomeTimeoutMs);
      });

      const beat = (intervalMs: number) => {
        heartbeat = setTimeout(() => beat(intervalMs), intervalMs);
        guard("heartbeat", async () => {
          const docker = await Promise.race([
            probeDocker(),
            new Promise<DockerState | undefined>((r) =>
              setTimeout(() => r(lastDocker), Math.min(2_000, intervalMs / 2)).unref(),
            ),
          ]);
          if (done) return;
          seq++;
          await send({ case: "heartbeat", value: { seq, sentAt: timestampNow(), docker } });
        });
      };

      const onWelcome = (w: Extract<SessionResponse["msg"], { case: "welcome" }>["value"]) => {
        if (welcomed) return;
        welcomed = true;
        clearTimeout(welcomeTimer);
        live = call;
        liveSessionId = w.sessionId;
        sessions++;
        backoff.reset();
        const given = w.heartbeatInterval ? durationMs(w.heartbeatInterval) : 0;
        const interval = Math.min(
          MAX_HEARTBEAT_MS,
          Math.max(MIN_HEARTBEAT_MS, given || (opts.defaultHeartbeatMs ?? 10_000)),
        );
        log.info(
          { sessionId: w.sessionId, cluster: w.cluster, guest: w.guest || undefined, heartbeatMs: interval },
          "connected to the coordinator",
        );
        lastUnreachableLog = 0;
        beat(interval);
      };

      call.on("data", (res: SessionResponse) =>
        guard("message", () => {
          switch (res.msg.case) {
            case "welcome":
              return onWelcome(res.msg.value);
            case "command":
              if (!welcomed) {
                log.warn({ command: res.msg.value.id }, "command before Welcome ignored");
                return;
              }
              return runCommand(res.msg.value, streams);
            case "cancel": {
              const { commandId, reason } = res.msg.value;
              opts.executor.cancel(commandId, reason || "the coordinator cancelled it");
              return;
            }
            case "goodbye": {
              const { reason, message } = res.msg.value;
              const text = redact(message, secrets);
              if (reason === GoodbyeReason.REPLACED) {
                log.warn(
                  { agentId, message: text },
                  "another session of this agent id replaced this one (a clone with the same /etc/machine-id?); dialling again slowly",
                );
                return finish({ welcomed, retry: "slow" }, true);
              }
              if (reason === GoodbyeReason.PROTOCOL) {
                log.error({ message: text }, "the coordinator ended the session for a protocol error");
                return finish({ welcomed, retry: "slow" }, true);
              }
              log.info({ reason: GoodbyeReason[reason], message: text }, "the coordinator ended the session");
              return finish({ welcomed, retry: "reset" }, true);
            }
            default:
              log.debug("unknown message from the coordinator ignored");
          }
        }),
      );
      call.on("error", (err: unknown) =>
        guard("session error", () => {
          if (done) return;
          const pe = PhoenixError.from(err);
          const message = redact(pe.message, secrets);
          if (pe.code === ErrorCode.UNAUTHENTICATED) {
            log.error(
              { coordinator: opts.coordinator, agentId, message },
              "the coordinator refused the enrollment token (UNAUTHENTICATED); check PHOENIX_ENROLLMENT_TOKEN or the token file",
            );
            return finish({ welcomed, retry: "slow" });
          }
          if (welcomed)
            log.warn(
              { coordinator: opts.coordinator, code: pe.code, message },
              "session with the coordinator broke",
            );
          else unreachable({ code: pe.code, message });
          finish({ welcomed, retry: "fast" });
        }),
      );
      call.on("end", () =>
        guard("session end", () => finish({ welcomed, retry: welcomed ? "reset" : "fast" })),
      );

      const hello = {
        agentId,
        enrollmentToken: opts.enrollmentToken,
        agentVersion: opts.agentVersion,
        inventory,
        knownIdempotencyKeys: opts.executor.knownKeys(),
      };
      try {
        call.write(create(SessionRequestSchema, { msg: { case: "hello", value: hello } }));
      } catch (err) {
        log.warn({ err: redact(String(err), secrets) }, "cannot send Hello");
        finish({ welcomed, retry: "fast" });
      }
    });
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function run(): Promise<void> {
    while (!stopped) {
      let outcome: Outcome = { welcomed: false, retry: "fast" };
      try {
        outcome = await attempt();
      } catch (err) {
        log.error({ err: redact(String(err), secrets) }, "session attempt failed");
      }
      if (stopped) break;
      let delay: number;
      if (outcome.retry === "slow") delay = slowDelay(slowRetryMs, random);
      else {
        if (outcome.retry === "reset" || outcome.welcomed) backoff.reset();
        delay = backoff.next();
      }
      log.debug({ delayMs: delay }, "dialling the coordinator again");
      await sleep(delay);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
    },
    async stop() {
      stopped = true;
      endCurrent?.(true);
      wake?.();
      await loop;
    },
    refreshInventory: refreshAndSend,
    status: () => ({
      connected: live !== undefined,
      sessionId: liveSessionId,
      sessions,
      failures: backoff.attempts,
    }),
  };
}
