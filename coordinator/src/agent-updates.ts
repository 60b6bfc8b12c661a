import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { type AgentUpdateOutcomeSchema, toErrorInfo, type UpdateAgentsResponseSchema } from "@phoenix/proto";
import { createChannel } from "./async-channel";
import type { Emit } from "./fleet-actions";
import type { Logger } from "./logger";
import type { AgentRecord, Registry } from "./registry";
import type { WriteLock } from "./write-lock";

type Response = MessageInitShape<typeof UpdateAgentsResponseSchema>;
type Outcome = MessageInitShape<typeof AgentUpdateOutcomeSchema>;

/** What updating agents needs. */
export interface AgentUpdatesDeps {
  registry: Registry;
  /** The agent bundle the coordinator serves (--agent-bundle). */
  agentBundle: string;
  emit: Emit;
  logger: Logger;
  /** How long an agent may take to send its result and come back with the new version. */
  timeoutMs?: number;
  /** How many agents update at once. */
  concurrency?: number;
  /** The coordinator's write lock: the update holds it, as syncs and deploys do. */
  lock?: WriteLock;
}

/** The bundle the agents get: its bytes, digest and the version it says (`node <bundle> --version`). */
export interface AgentBundle {
  bytes: Uint8Array;
  sha256: string;
  version: string;
}

/** Reads the coordinator's agent bundle and asks it its version, as an agent will before running it. */
export async function readAgentBundle(path: string): Promise<AgentBundle> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `no agent bundle to give the agents: ${path} (${err.code}); build it (npm run build) or set --agent-bundle`,
    );
  });
  const version = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [path, "--version"], { timeout: 30_000 }, (err, stdout) =>
      err
        ? reject(
            new PhoenixError(
              ErrorCode.INVALID_CONFIG,
              `the agent bundle ${path} does not run: ${err.message}`,
            ),
          )
        : resolve(String(stdout).trim()),
    ),
  );
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), version };
}

/**
 * The agents to update: the named ones, found by `get` (the registry's lookup: guest name, agent id
 * or hostname) or by vmid, else every online agent of another version than the bundle. Named
 * agents must be known; offline ones fail later.
 */
export function updateTargets(
  agents: readonly AgentRecord[],
  named: readonly string[],
  version: string,
  get: (key: string) => AgentRecord | undefined,
): { targets: AgentRecord[]; current: number } {
  const online = agents.filter((a) => a.online);
  if (named.length === 0) {
    const targets = online.filter((a) => a.agentVersion !== version);
    return { targets: sortByName(targets), current: online.length - targets.length };
  }
  const found = new Map<string, AgentRecord>();
  const unknown: string[] = [];
  for (const key of named) {
    const a = get(key) ?? agents.find((x) => String(x.vmid) === key);
    if (a) found.set(a.agentId, a);
    else unknown.push(key);
  }
  if (unknown.length > 0) {
    const known = sortByName([...agents]).map((a) => a.name);
    throw new PhoenixError(
      ErrorCode.NOT_FOUND,
      `no agent is called ${unknown.join(", ")} (agents: ${known.join(", ") || "none"})`,
    );
  }
  return { targets: sortByName([...found.values()]), current: 0 };
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
const sortByName = (list: AgentRecord[]): AgentRecord[] => list.sort(byName);

/**
 * `phoenix agents update`: sends each target agent the coordinator's bundle (AgentUpdateCommand), a
 * few at a time, and waits until it is back with a new session of the bundle's version. Progress
 * lines as it goes, then one outcome per agent; one agent failing does not stop the others.
 */
export async function* updateAgents(
  deps: AgentUpdatesDeps,
  named: readonly string[],
  signal?: AbortSignal,
): AsyncGenerator<Response> {
  const { registry } = deps;
  const bundle = await readAgentBundle(deps.agentBundle);
  const { targets, current } = updateTargets(registry.list(), named, bundle.version, (key) =>
    registry.get(key),
  );
  const log = deps.logger.child({ component: "agent-update" });
  const timeoutMs = deps.timeoutMs ?? 90_000;
  if (targets.length === 0) {
    yield { msg: { case: "result", value: { version: bundle.version, agents: [], current } } };
    return;
  }

  const lines = createChannel<string>();
  const outcomes: Outcome[] = [];
  const updateOne = async (agent: AgentRecord): Promise<Outcome> => {
    const started = performance.now();
    // The record is live: its version changes once the agent is back.
    const base = { guest: agent.name, fromVersion: agent.agentVersion };
    try {
      if (!agent.online)
        throw new PhoenixError(ErrorCode.AGENT_OFFLINE, "its agent is offline", {
          place: { node: agent.name },
        });
      lines.push(`${agent.name}: sending the ${bundle.version} bundle (runs ${base.fromVersion})`);
      const session = agent.sessionId;
      const res = await registry.send(
        agent.agentId,
        {
          case: "agentUpdate",
          value: { bundle: bundle.bytes, sha256: bundle.sha256, version: bundle.version },
        },
        {
          timeoutMs: Math.min(timeoutMs, 60_000),
          // Fresh per call: a retry within this call (the session dropped) gets the first result
          // back; a later call finds the bundle in place and changes nothing by itself.
          idempotencyKey: `agent-update-${bundle.sha256.slice(0, 16)}-${agent.agentId}-${randomUUID()}`,
          ...(signal ? { signal } : {}),
        },
      );
      const r = res.result.case === "agentUpdate" ? res.result.value : undefined;
      if (!r?.restarting) {
        lines.push(`${agent.name}: already runs this bundle`);
        return { ...base, toVersion: bundle.version, durationMs: Math.round(performance.now() - started) };
      }
      lines.push(`${agent.name}: bundle replaced at ${r.path}; waiting for it to come back`);
      const back = await backWith(registry, agent.agentId, session, bundle.version, timeoutMs, signal);
      const durationMs = Math.round(performance.now() - started);
      lines.push(`${agent.name}: back with ${back.agentVersion} after ${(durationMs / 1000).toFixed(1)} s`);
      deps.emit(
        {
          case: "agentUpdated",
          value: { guest: agent.name, fromVersion: base.fromVersion, toVersion: back.agentVersion },
        },
        agent.name,
      );
      log.info(
        { guest: agent.name, from: base.fromVersion, to: back.agentVersion, durationMs },
        "agent updated",
      );
      return { ...base, toVersion: back.agentVersion, durationMs };
    } catch (err) {
      const pe = PhoenixError.from(err, ErrorCode.INTERNAL);
      lines.push(`${agent.name}: not updated: ${pe.message}`);
      log.warn({ guest: agent.name, code: pe.code, error: pe.message }, "agent update failed");
      return { ...base, error: toErrorInfo(pe), durationMs: Math.round(performance.now() - started) };
    }
  };

  const queue = [...targets];
  const pool = () =>
    Promise.all(
      Array.from({ length: Math.min(deps.concurrency ?? 4, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) outcomes.push(await updateOne(next));
      }),
    );
  // Agents restart: no sync, deploy or reconcile sends them work meanwhile.
  if (deps.lock?.holder) lines.push(`waiting for ${deps.lock.holder} to finish`);
  (deps.lock ? deps.lock.run("agents update", pool) : pool()).then(() => lines.close());
  for await (const line of lines) yield { msg: { case: "progress", value: line } };
  outcomes.sort((a, b) => byName({ name: a.guest ?? "" }, { name: b.guest ?? "" }));
  yield { msg: { case: "result", value: { version: bundle.version, agents: outcomes, current } } };
}

/** Waits for the agent's next session (another session id) to be online with `version`. */
async function backWith(
  registry: Registry,
  agentId: string,
  oldSession: string,
  version: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<AgentRecord> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const a = registry.get(agentId);
    if (a?.online && a.sessionId !== oldSession) {
      if (a.agentVersion === version) return a;
      throw new PhoenixError(
        ErrorCode.INTERNAL,
        `it came back running ${a.agentVersion}, not ${version} (is its unit starting another bundle?)`,
      );
    }
    if (performance.now() > deadline) {
      throw new PhoenixError(
        ErrorCode.TIMEOUT,
        `it replaced its bundle but was not back within ${Math.round(timeoutMs / 1000)} s (its unit restarts it: journalctl -u phoenix-agent)`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
