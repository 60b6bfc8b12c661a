import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  type Command,
  type CommandResult,
  CommandResultSchema,
  create,
  type Inventory,
  type MessageInitShape,
  timestampMs,
  toErrorInfo,
} from "@phoenix/proto";
import type { SelfUpdate } from "./commands/agent-update";
import type { CommandContext, Progress } from "./commands/context";
import { joinTokens } from "./commands/join-tokens";
import { nodeRemove } from "./commands/node-remove";
import { nodeUpdate } from "./commands/node-update";
import { ping } from "./commands/ping";
import { refreshInventory } from "./commands/refresh-inventory";
import { serviceList } from "./commands/service-list";
import { serviceLogs } from "./commands/service-logs";
import { serviceScale } from "./commands/service-scale";
import { swarmInit } from "./commands/swarm-init";
import { swarmInspect } from "./commands/swarm-inspect";
import { swarmJoin } from "./commands/swarm-join";
import { swarmLeave } from "./commands/swarm-leave";
import { taskList } from "./commands/task-list";
import type { Dockerode } from "./docker";
import { createIdempotencyCache, type IdempotencyCache } from "./idempotency-cache";
import type { Logger } from "./logger";
import { redact } from "./redact";
import { StackApplyError } from "./stack/stack-apply-error";
import { AGENT_VERSION } from "./version";

/** Sends a progress message of a command to the coordinator; resolves when more may be sent. */
export type ProgressSink = (p: Progress & { commandId: string }) => Promise<void> | void;

/** Runs coordinator commands against the local Docker engine. */
export interface Executor {
  /** Runs a command and resolves with its result; never rejects. */
  execute(cmd: Command, progress: ProgressSink): Promise<CommandResult>;
  /**
   * Stops the work of a running command, which then answers CANCELLED with `reason`. A command that
   * writes runs to its end instead (its result is recorded for retries). True when it was stopped.
   */
  cancel(commandId: string, reason: string): boolean;
  /** Idempotency keys of the results held, for Hello. */
  knownKeys(): string[];
}

/** Options of createExecutor. */
export interface ExecutorOptions {
  /** The local Docker client, loaded on first use. */
  docker: () => Promise<Dockerode>;
  /** Collects the inventory now and sends it as an InventoryUpdate. */
  refreshInventory: () => Promise<Inventory>;
  /** Called after a command that may have changed this engine's swarm state, whether it succeeded or not. */
  onSwarmChanged?: () => void;
  log: Logger;
  /** Results of state-changing commands are kept in `<stateDir>/command-results.json` when set. */
  stateDir?: string;
  /** How the agent replaces its bundle and restarts (AgentUpdateCommand); unset: it cannot. */
  selfUpdate?: SelfUpdate;
}

type Kind = NonNullable<Command["kind"]["case"]>;
type ResultInit = MessageInitShape<typeof CommandResultSchema>["result"];

/** Commands that change something: their results survive an agent restart. */
const WRITES: ReadonlySet<Kind> = new Set([
  "swarmInit",
  "swarmJoin",
  "swarmLeave",
  "nodeUpdate",
  "nodeRemove",
  "stackApply",
  "stackRemove",
  "serviceScale",
  "agentUpdate",
]);
/** Commands whose output is a stream of progress (log lines): they end when their session does. */
const STREAMS: ReadonlySet<Kind> = new Set(["serviceLogs"]);
/** Commands after which the local swarm state is read again. */
const SWARM_CHANGES: ReadonlySet<Kind> = new Set(["swarmInit", "swarmJoin", "swarmLeave", "nodeUpdate"]);
/** Failures that mean "not finished": the same key may run again. */
const UNFINISHED: ReadonlySet<string> = new Set([ErrorCode.TIMEOUT, ErrorCode.CANCELLED]);

/** True for a command that streams its output (service logs): nothing is left to do once its session closes. */
export function isStream(cmd: Command): boolean {
  return cmd.kind.case !== undefined && STREAMS.has(cmd.kind.case);
}

/** The protocol's name of a command kind, e.g. "swarm_join", for messages and error places. */
export function kindName(kind: string): string {
  return kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

async function dispatch(cmd: Command, ctx: CommandContext, self?: SelfUpdate): Promise<ResultInit> {
  const k = cmd.kind;
  switch (k.case) {
    case "ping":
      return { case: "ping", value: ping(k.value) };
    case "swarmInit":
      return { case: "swarmInit", value: await swarmInit(k.value, ctx) };
    case "swarmJoin":
      return { case: "swarmJoin", value: await swarmJoin(k.value, ctx) };
    case "swarmLeave":
      return { case: "swarmLeave", value: await swarmLeave(k.value, ctx) };
    case "joinTokens":
      return { case: "joinTokens", value: await joinTokens(k.value, ctx) };
    case "swarmInspect":
      return { case: "swarmInspect", value: await swarmInspect(k.value, ctx) };
    case "nodeUpdate":
      return { case: "nodeUpdate", value: await nodeUpdate(k.value, ctx) };
    case "nodeRemove":
      return { case: "nodeRemove", value: await nodeRemove(k.value, ctx) };
    case "stackApply": {
      const { applyStack } = await import("./stack");
      const value = await applyStack(await ctx.docker(), k.value, {
        signal: ctx.signal,
        progress: (message) => void ctx.progress({ message }),
      });
      return { case: "stackApply", value };
    }
    case "stackCheck": {
      const { checkStacks } = await import("./stack");
      return { case: "stackCheck", value: await checkStacks(await ctx.docker(), k.value, ctx.signal) };
    }
    case "stackRemove": {
      const { removeStack } = await import("./stack");
      const value = await removeStack(await ctx.docker(), k.value, {
        signal: ctx.signal,
        progress: (message) => void ctx.progress({ message }),
      });
      return { case: "stackRemove", value };
    }
    case "serviceList":
      return { case: "serviceList", value: await serviceList(k.value, ctx) };
    case "taskList":
      return { case: "taskList", value: await taskList(k.value, ctx) };
    case "serviceLogs":
      return { case: "serviceLogs", value: await serviceLogs(k.value, ctx) };
    case "serviceScale":
      return { case: "serviceScale", value: await serviceScale(k.value, ctx) };
    case "refreshInventory":
      return { case: "refreshInventory", value: await refreshInventory(k.value, ctx) };
    case "agentUpdate": {
      const { agentUpdate } = await import("./commands/agent-update");
      return { case: "agentUpdate", value: await agentUpdate(k.value, ctx, self, AGENT_VERSION) };
    }
    default:
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        "command has no kind this agent knows (is the agent older than the coordinator?)",
      );
  }
}

/** The partial report of a failed command, when it made one: a failed stack apply's per-service states. */
function partialResult(cmd: Command, err: unknown): ResultInit | undefined {
  if (cmd.kind.case === "stackApply" && err instanceof StackApplyError) {
    return { case: "stackApply", value: err.result };
  }
  return undefined;
}

function secretsOf(cmd: Command): string[] {
  return cmd.kind.case === "swarmJoin" ? [cmd.kind.value.joinToken] : [];
}

/** Turns anything a command threw into a log-safe PhoenixError that names the command. */
function failure(err: unknown, cmd: Command, signal: AbortSignal): PhoenixError {
  let pe: PhoenixError;
  if (signal.aborted && signal.reason instanceof PhoenixError) pe = signal.reason;
  else if (err instanceof PhoenixError) pe = err;
  else pe = PhoenixError.from(err, ErrorCode.INTERNAL);
  const command = kindName(cmd.kind.case ?? "unknown");
  return new PhoenixError(pe.code, redact(pe.message, secretsOf(cmd)), {
    place: { command, ...pe.place },
    details: pe.details,
  });
}

/**
 * Creates the executor: each command runs under its deadline (TIMEOUT when passed, and the work is
 * aborted), failures come back as ErrorInfo, and a repeated idempotency key gets the first result
 * again (replayed=true) without acting, also while the first run is still going. Ping skips all of
 * this: it acts on nothing, so it is answered fresh and never takes a cache slot.
 */
export function createExecutor(opts: ExecutorOptions): Executor {
  const { log } = opts;
  const writes: IdempotencyCache = createIdempotencyCache({
    max: 512,
    file: opts.stateDir ? join(opts.stateDir, "command-results.json") : undefined,
    log,
  });
  const reads: IdempotencyCache = createIdempotencyCache({ max: 256 });
  const inflight = new Map<string, Promise<CommandResult>>();
  /** Commands being worked on, by command id: how to stop each. */
  const running = new Map<string, { kind: Kind | undefined; stop: AbortController }>();

  /** Resolves when no command but log streams runs (looked at every 100 ms), or after 60 s. */
  const whenIdle = async () => {
    const busy = () => [...running.values()].filter((r) => !(r.kind && STREAMS.has(r.kind)));
    let said = false;
    for (const until = Date.now() + 60_000; Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100));
      const left = busy();
      if (left.length === 0) return;
      if (!said)
        log.info(
          { commands: left.map((r) => r.kind && kindName(r.kind)) },
          "restart waits for running commands",
        );
      said = true;
    }
    log.warn("restarting with commands still running after 60 s");
  };

  const replay = (first: CommandResult, cmd: Command): CommandResult =>
    create(CommandResultSchema, { ...first, commandId: cmd.id, replayed: true });

  async function run(cmd: Command, sink: ProgressSink): Promise<CommandResult> {
    const started = performance.now();
    const kind = cmd.kind.case;
    const ac = new AbortController();
    // Whatever stops the command (its deadline, a cancel) answers at once, even if the work lags.
    const stopped = new Promise<never>((_, reject) =>
      ac.signal.addEventListener("abort", () => reject(ac.signal.reason), { once: true }),
    );
    stopped.catch(() => {});
    const deadline = cmd.deadline ? timestampMs(cmd.deadline) : undefined;
    let timer: NodeJS.Timeout | undefined;
    if (deadline !== undefined) {
      const remaining = deadline - Date.now();
      const fire = () =>
        ac.abort(new PhoenixError(ErrorCode.TIMEOUT, `deadline passed after ${Math.max(0, remaining)} ms`));
      if (remaining <= 0) fire();
      else timer = setTimeout(fire, remaining);
    }
    running.set(cmd.id, { kind, stop: ac });

    const ctx: CommandContext = {
      docker: opts.docker,
      signal: ac.signal,
      deadline,
      progress: async (p) => {
        if (!ac.signal.aborted) await sink({ ...p, commandId: cmd.id });
      },
      refreshInventory: opts.refreshInventory,
      log: log.child({ command: cmd.id, kind: kind && kindName(kind) }),
    };
    const base = { commandId: cmd.id, idempotencyKey: cmd.idempotencyKey };
    try {
      const result = await Promise.race([dispatch(cmd, ctx, opts.selfUpdate), stopped]);
      if (kind && SWARM_CHANGES.has(kind)) opts.onSwarmChanged?.();
      return create(CommandResultSchema, {
        ...base,
        durationMs: Math.round(performance.now() - started),
        result,
      });
    } catch (err) {
      // A swarm command that failed may still have changed something (a join that timed out).
      if (kind && SWARM_CHANGES.has(kind)) opts.onSwarmChanged?.();
      const pe = failure(err, cmd, ac.signal);
      if (!ac.signal.aborted) ac.abort(pe);
      const partial = partialResult(cmd, err);
      return create(CommandResultSchema, {
        ...base,
        durationMs: Math.round(performance.now() - started),
        error: toErrorInfo(pe),
        ...(partial ? { result: partial } : {}),
      });
    } finally {
      clearTimeout(timer);
      // The same command may come again on a new session (same id) while this run ends.
      if (running.get(cmd.id)?.stop === ac) running.delete(cmd.id);
    }
  }

  return {
    async execute(cmd, sink) {
      if (cmd.kind.case === "ping") {
        return create(CommandResultSchema, {
          commandId: cmd.id,
          idempotencyKey: cmd.idempotencyKey,
          result: { case: "ping", value: ping(cmd.kind.value) },
        });
      }
      const key = cmd.idempotencyKey;
      const kind = cmd.kind.case;
      const cache = kind && WRITES.has(kind) ? writes : reads;
      if (key) {
        const hit = cache.get(key);
        if (hit) {
          log.info(
            { command: cmd.id, kind: kind && kindName(kind), key },
            "command replayed from an earlier result",
          );
          return replay(hit, cmd);
        }
        const running = inflight.get(key);
        if (running) return replay(await running, cmd);
      }
      log.info({ command: cmd.id, kind: kind && kindName(kind), key }, "command started");
      const work = run(cmd, sink);
      if (key) inflight.set(key, work);
      const result = await work;
      if (key) {
        inflight.delete(key);
        if (!UNFINISHED.has(result.error?.code ?? "")) cache.set(key, result);
      }
      const done = { command: cmd.id, kind: kind && kindName(kind), durationMs: result.durationMs };
      if (result.error)
        log.warn({ ...done, code: result.error.code, error: result.error.message }, "command failed");
      else log.info(done, "command done");
      // A new bundle in place: restart into it once the session has sent this result and the
      // commands still running have ended (a log stream ends with the session). A replayed result,
      // after the restart, restarts nothing.
      if (result.result.case === "agentUpdate" && result.result.value.restarting) {
        void whenIdle().then(() => opts.selfUpdate?.restart());
      }
      return result;
    },
    cancel(commandId, reason) {
      const r = running.get(commandId);
      if (!r || r.stop.signal.aborted) return false;
      const kind = r.kind && kindName(r.kind);
      if (r.kind && WRITES.has(r.kind)) {
        log.info({ command: commandId, kind, reason }, "cancel of a write ignored: it runs to its end");
        return false;
      }
      log.info({ command: commandId, kind, reason }, "command cancelled");
      r.stop.abort(new PhoenixError(ErrorCode.CANCELLED, `cancelled: ${reason}`));
      return true;
    },
    knownKeys: () => [...writes.keys(), ...reads.keys()],
  };
}
