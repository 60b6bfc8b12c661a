import { createHash } from "node:crypto";
import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { type Model, stackNamespace, stackPinConstraint } from "@phoenix/model";
import {
  create,
  type DeployStackResult,
  DeployStackResultSchema,
  durationFromMs,
  type EventSchema,
  fromErrorInfo,
  type MessageInitShape,
  NodeAvailability,
  NodeRole,
  type StackApplyResult,
  SwarmLocalState,
  toErrorInfo,
} from "@phoenix/proto";
import { environmentNetwork, type RenderedStack, renderStack, type StackManifest } from "@phoenix/stacks";
import { advertiseAddress } from "./advertise-addr";
import { partialResultOf } from "./command-failed-error";
import type { Logger } from "./logger";
import type { ManagerAccess } from "./manager-access";
import { type AgentRecord, type Registry, resultOf } from "./registry";
import { deploymentSourceHash } from "./scheduler";
import type { EnvironmentRecord } from "./state";

/** The payload of an event, as plain data: `{ case: "nodeJoined", value: { guest, nodeId, role } }`. */
export type EventData = NonNullable<MessageInitShape<typeof EventSchema>["data"]>;

/** Emits an event about `subject` (a guest name or a stack namespace). */
export type Emit = (data: EventData, subject: string) => void;

/** Where the actions record deploys and removals (the state store), with what the history keeps. */
export interface DeployJournal {
  deployed(record: EnvironmentRecord, outcome: { error?: string; dockerWrites?: number }): Promise<void>;
  removed(stack: string, env: string, namespace: string): Promise<void>;
  /** The fingerprints the last deploy of a namespace recorded, sent with its next apply and check. */
  fingerprints(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Keeps fingerprints a check reported for a deployment recorded without them. */
  adoptFingerprints(namespace: string, fingerprints: Readonly<Record<string, string>>): Promise<void>;
}

/** What the actions need from the coordinator. */
export interface FleetActionDeps {
  registry: Registry;
  managers: ManagerAccess;
  emit: Emit;
  journal: DeployJournal;
  modelDir: string;
  logger: Logger;
  /** Most bytes of specs one stack_check command carries (default CHECK_BATCH_BYTES). */
  checkBatchBytes?: number;
}

/** The run an action belongs to: its id scopes idempotency keys; progress lines go to the caller. */
export interface RunContext {
  /** Id of the sync, deploy or reconcile; same id + same work = same idempotency key. */
  runId: string;
  signal?: AbortSignal;
  progress?: (message: string) => void;
}

/** A node change through a manager: any of labels, role and availability. */
export interface NodeChange {
  labelsAdd?: Record<string, string>;
  labelsRemove?: string[];
  role?: NodeRole;
  availability?: NodeAvailability;
}

/** How the deploy of one stack environment ended. */
export interface DeployOutcome {
  result: DeployStackResult;
  rendered: RenderedStack;
}

/** The I/O of every plan step: each one through the right agent, with events and a journal. */
export interface FleetActions {
  initSwarm(ctx: RunContext, guest: string): Promise<{ nodeId: string; already: boolean }>;
  joinSwarm(ctx: RunContext, guest: string, role: NodeRole): Promise<{ nodeId: string; already: boolean }>;
  /** Changes a swarm node (by id) through a manager; `guest` names it in events. */
  updateNode(
    ctx: RunContext,
    guest: string,
    nodeId: string,
    change: NodeChange,
  ): Promise<{ changed: boolean }>;
  /**
   * Removes a node entry from the swarm through a manager; `guest` names it in events. A node that is
   * not down is refused unless forced, after waiting up to `waitDownMs` for it to go down.
   */
  removeNode(
    ctx: RunContext,
    guest: string,
    nodeId: string,
    o?: { force?: boolean; waitDownMs?: number },
  ): Promise<{ already: boolean }>;
  /** Creates an environment's network unless it exists, with the subnet the cluster sets for it. */
  ensureEnvironmentNetwork(ctx: RunContext, env: string, subnet?: string): Promise<{ created: boolean }>;
  /** Renders and applies a stack environment; `specHash` is what the state records (default: the model's hash). */
  deployStack(
    ctx: RunContext,
    model: Model,
    stack: string,
    env: string,
    o?: { noRollback?: boolean; specHash?: string },
  ): Promise<DeployOutcome>;
  removeStack(ctx: RunContext, stack: string, env: string, namespace: string): Promise<{ removed: string[] }>;
  /**
   * What an apply of each stack environment's rendering would change in the swarm now, read through
   * a manager and written nowhere: by `env/stack`, one line per change (none when the swarm runs
   * it), or why it could not be compared. A service removed or scaled by hand shows here.
   */
  checkStacks(
    model: Model,
    targets: readonly StackTarget[],
    signal?: AbortSignal,
    removing?: readonly string[],
  ): Promise<CheckAnswers>;
  /**
   * Why the model cannot render these stack environments (a compose file Docker would refuse, an
   * environment variable left unset), one error each; none when every one renders. The renderings
   * are kept for the check.
   */
  renderFailures(model: Model, targets: readonly StackTarget[]): PhoenixError[];
}

/** What checkStacks found. */
export interface CheckAnswers {
  /** By `env/stack`: what an apply would change there (none when the swarm runs it), or why it could not be compared. */
  stacks: Map<string, string[] | PhoenixError>;
  /** What the specs ask for and no apply can change (a network's subnet, a subnet they fill), once each. */
  notes: string[];
}

/** A stack environment, with the hash of what it is deployed from (DesiredStack.specHash). */
export interface StackTarget {
  stack: string;
  env: string;
  specHash: string;
  /**
   * A deployment the plan deploys anyway: not compared, only counted in the notes (the addresses
   * its networks need). Its answer has no differences.
   */
  notesOnly?: boolean;
}

/** How checkStacks names a stack environment in its answer: `env/stack`. */
export const stackKey = (s: { env: string; stack: string }): string => `${s.env}/${s.stack}`;

/** Most bytes of specs one stack_check command carries; more stacks take more commands. */
export const CHECK_BATCH_BYTES = 1 << 20;

const SWARM_TIMEOUT_MS = 60_000;
const NODE_TIMEOUT_MS = 30_000;
/** How long a deploy waits for its tasks, and the command's deadline around it. */
const DEPLOY_WAIT_MS = 120_000;
const DEPLOY_TIMEOUT_MS = DEPLOY_WAIT_MS + 60_000;

/** Short stable hash of any JSON-able content. */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** The idempotency key of a piece of work in a run: retries of it in the run dedupe, a new run acts again. */
export function workKey(ctx: RunContext, what: string, content: unknown): string {
  return `${ctx.runId}/${what}/${contentHash(content)}`;
}

const ROLE_WORD: Record<NodeRole, string> = {
  [NodeRole.UNSPECIFIED]: "unspecified",
  [NodeRole.WORKER]: "worker",
  [NodeRole.MANAGER]: "manager",
};

/** "worker" / "manager". */
export function roleWord(role: NodeRole): string {
  return ROLE_WORD[role];
}

function online(registry: Registry, guest: string, what: string): AgentRecord {
  const agent = registry.get(guest);
  if (!agent?.online) {
    throw new PhoenixError(
      ErrorCode.AGENT_OFFLINE,
      agent
        ? `the agent of ${guest} is offline: cannot ${what}`
        : `no agent has registered for ${guest}: cannot ${what}`,
      { place: { node: guest } },
    );
  }
  return agent;
}

/** The placement constraint of a stack that guests pin through docker_stacks, if any does. */
export function pinConstraintOf(model: Model, stack: string): string | undefined {
  return model.guests.some((g) => g.swarmRole !== "none" && g.dockerStacks.includes(stack))
    ? stackPinConstraint(stack)
    : undefined;
}

/** The model's stack of that name, or an error that names the stacks there are. */
function modelStack(model: Model, stack: string): Model["stacks"][string] {
  const s = model.stacks[stack];
  if (s) return s;
  const known = Object.keys(model.stacks).sort();
  throw new PhoenixError(
    ErrorCode.NOT_FOUND,
    `no stack named ${stack} in the model (${known.length ? `known: ${known.join(", ")}` : "it has no stacks/ directory with a stack"})`,
    { place: { stack } },
  );
}

/** The hash the planner compares a deployment with (see the scheduler's desired stacks). */
export function deploymentHash(model: Model, stack: string, env: string): string {
  const s = modelStack(model, stack);
  return deploymentSourceHash(s, env, pinConstraintOf(model, stack));
}

/** The pinned stack's services only run on guests listing it in docker_stacks. */
function pinIfNeeded(model: Model, stack: string, rendered: RenderedStack): void {
  const constraint = pinConstraintOf(model, stack);
  if (!constraint) return;
  for (const svc of rendered.services) {
    const tt = svc.TaskTemplate as { Placement?: { Constraints?: string[] } };
    const placement = tt.Placement ?? {};
    const list = placement.Constraints ?? [];
    if (!list.includes(constraint)) list.push(constraint);
    placement.Constraints = list;
    tt.Placement = placement;
  }
}

function manifestOf(model: Model, stack: string): StackManifest {
  const s = modelStack(model, stack);
  const file = `${s.dir}/phoenix.json`;
  const text = s.files[file];
  if (text === undefined) return {};
  return JSON.parse(text) as StackManifest;
}

/** Renders a model stack for one environment, pinned where the model pins it. */
export function renderModelStack(model: Model, modelDir: string, stack: string, env: string): RenderedStack {
  const s = modelStack(model, stack);
  if (!model.cluster.environments.includes(env)) {
    throw new PhoenixError(
      ErrorCode.NOT_FOUND,
      `no environment named ${env} (known: ${model.cluster.environments.join(", ")})`,
      { place: { stack, file: "etc/phoenix_cluster.json", path: "$.environments" } },
    );
  }
  const rendered = renderStack({
    composeYaml: s.compose.text,
    composeFile: s.compose.file,
    workingDir: join(modelDir, s.dir),
    stack,
    env,
    manifest: manifestOf(model, stack),
    manifestFile: `${s.dir}/phoenix.json`,
    clusterEnvironments: Object.fromEntries(
      model.cluster.environments.map((e) => [e, model.cluster.environmentSubnets[e]]),
    ),
  });
  pinIfNeeded(model, stack, rendered);
  return rendered;
}

/**
 * The specs_json of a stack apply: the environment networks first (its own and those of other
 * environments it joins: shared, created when missing, never pruned), then the stack's own networks.
 */
export function stackSpecs(rendered: RenderedStack): Record<string, unknown> {
  return {
    networks: [
      ...(rendered.environmentNetwork ? [rendered.environmentNetwork] : []),
      ...(rendered.otherEnvironmentNetworks ?? []),
      ...rendered.networks,
    ],
    secrets: rendered.secrets,
    configs: rendered.configs,
    services: rendered.services,
  };
}

function failedServices(apply: StackApplyResult): string[] {
  return apply.services.filter((s) => s.state === "failed").map((s) => `${s.name}: ${s.error || "failed"}`);
}

/** Creates the actions. */
export function createFleetActions(deps: FleetActionDeps): FleetActions {
  const { registry, managers, emit } = deps;
  const log = deps.logger.child({ component: "actions" });
  // The specs checks rendered, by `env/stack`, with what they were rendered from: the deployment
  // hash (the stack's files and pin) and the environments' networks' subnets from the cluster file.
  // A plan renders only the stacks whose files changed since one before.
  const checkSpecs = new Map<string, { source: string; specsJson: string }>();
  /** The specs_json of a stack environment, rendered unless kept from before; throws why it cannot render. */
  const checkSpecsOf = (model: Model, t: StackTarget): string => {
    const key = stackKey(t);
    // The environments and their subnets: a stack may join other environments' networks too.
    const environments = model.cluster.environments.map(
      (e) => `${e}=${model.cluster.environmentSubnets[e] ?? ""}`,
    );
    const source = `${t.specHash} ${environments.join(",")}`;
    const cached = checkSpecs.get(key);
    if (cached?.source === source) return cached.specsJson;
    const specsJson = JSON.stringify(stackSpecs(renderModelStack(model, deps.modelDir, t.stack, t.env)));
    checkSpecs.set(key, { source, specsJson });
    return specsJson;
  };

  const opts = (ctx: RunContext, timeoutMs: number, idempotencyKey: string) => ({
    timeoutMs,
    idempotencyKey,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.progress
      ? { onProgress: (p: { message: string }) => p.message && ctx.progress?.(p.message) }
      : {}),
  });

  return {
    async initSwarm(ctx, guest) {
      const agent = online(registry, guest, "initialise the swarm");
      const advertiseAddr = advertiseAddress(agent);
      const key = workKey(ctx, "swarm.init", { guest, advertiseAddr });
      const result = await registry.send(
        guest,
        { case: "swarmInit", value: { advertiseAddr } },
        opts(ctx, SWARM_TIMEOUT_MS, key),
      );
      const init = resultOf(result, "swarmInit");
      registry.noteDocker(guest, {
        swarmState: SwarmLocalState.ACTIVE,
        manager: true,
        nodeId: init.nodeId,
        ...(advertiseAddr ? { nodeAddr: advertiseAddr } : {}),
      });
      log.info({ guest, nodeId: init.nodeId, already: init.already, advertiseAddr }, "swarm initialised");
      if (!init.already) emit({ case: "swarmInitialized", value: { guest, nodeId: init.nodeId } }, guest);
      return { nodeId: init.nodeId, already: init.already };
    },

    async joinSwarm(ctx, guest, role) {
      const agent = online(registry, guest, "join the swarm");
      if (role === NodeRole.UNSPECIFIED)
        throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "a join needs a role");
      const { agent: manager, result } = await managers.send(
        { case: "joinTokens", value: {} },
        opts(ctx, NODE_TIMEOUT_MS, workKey(ctx, "join-tokens", { guest })),
      );
      // Secrets: kept in this scope only, never logged or put in an event.
      const tokens = resultOf(result, "joinTokens");
      const remoteAddrs = [
        ...new Set(
          [
            tokens.managerAddr,
            ...managers
              .managers()
              .filter((m) => m.agentId !== manager.agentId && m.docker?.nodeAddr)
              .map((m) => `${m.docker?.nodeAddr}:2377`),
          ].filter(Boolean),
        ),
      ];
      const advertiseAddr = advertiseAddress(agent);
      const key = workKey(ctx, "swarm.join", { guest, role, remoteAddrs, advertiseAddr });
      const joined = resultOf(
        await registry.send(
          guest,
          {
            case: "swarmJoin",
            value: {
              joinToken: role === NodeRole.MANAGER ? tokens.manager : tokens.worker,
              remoteAddrs,
              advertiseAddr,
              role,
            },
          },
          opts(ctx, SWARM_TIMEOUT_MS, key),
        ),
        "swarmJoin",
      );
      registry.noteDocker(guest, {
        swarmState: SwarmLocalState.ACTIVE,
        manager: role === NodeRole.MANAGER,
        nodeId: joined.nodeId,
        ...(advertiseAddr ? { nodeAddr: advertiseAddr } : {}),
      });
      log.info(
        { guest, nodeId: joined.nodeId, role: roleWord(role), already: joined.already },
        "guest joined the swarm",
      );
      if (!joined.already) emit({ case: "nodeJoined", value: { guest, nodeId: joined.nodeId, role } }, guest);
      return { nodeId: joined.nodeId, already: joined.already };
    },

    async updateNode(ctx, guest, nodeId, change) {
      const key = workKey(ctx, "node.update", { nodeId, change });
      const { result } = await managers.send(
        {
          case: "nodeUpdate",
          value: {
            nodeId,
            labelsAdd: change.labelsAdd ?? {},
            labelsRemove: change.labelsRemove ?? [],
            role: change.role ?? NodeRole.UNSPECIFIED,
            availability: change.availability ?? NodeAvailability.UNSPECIFIED,
          },
        },
        opts(ctx, NODE_TIMEOUT_MS, key),
      );
      const updated = resultOf(result, "nodeUpdate");
      if (!updated.changed) return { changed: false };
      const labelsAdded = change.labelsAdd ?? {};
      const labelsRemoved = change.labelsRemove ?? [];
      if (Object.keys(labelsAdded).length > 0 || labelsRemoved.length > 0) {
        emit(
          { case: "nodeLabelsChanged", value: { guest, nodeId, added: labelsAdded, removed: labelsRemoved } },
          guest,
        );
      }
      if (change.role !== undefined && change.role !== NodeRole.UNSPECIFIED) {
        const from = change.role === NodeRole.MANAGER ? NodeRole.WORKER : NodeRole.MANAGER;
        emit({ case: "nodeRoleChanged", value: { guest, nodeId, from, to: change.role } }, guest);
        const agent = registry.get(guest);
        if (agent?.docker?.nodeId === nodeId)
          registry.noteDocker(guest, { manager: change.role === NodeRole.MANAGER });
      }
      if (change.availability !== undefined && change.availability !== NodeAvailability.UNSPECIFIED) {
        emit(
          { case: "nodeAvailabilityChanged", value: { guest, nodeId, availability: change.availability } },
          guest,
        );
      }
      log.info({ guest, nodeId, change }, "node updated");
      return { changed: true };
    },

    async removeNode(ctx, guest, nodeId, o = {}) {
      const force = o.force ?? false;
      const waitDownMs = o.waitDownMs ?? 0;
      const { result } = await managers.send(
        { case: "nodeRemove", value: { nodeId, force, waitDown: durationFromMs(waitDownMs) } },
        opts(ctx, NODE_TIMEOUT_MS + waitDownMs, workKey(ctx, "node.remove", { nodeId, force })),
      );
      const removed = resultOf(result, "nodeRemove");
      if (removed.already) return { already: true };
      emit({ case: "nodeRemoved", value: { guest, nodeId, hostname: removed.hostname } }, guest);
      log.info({ guest, nodeId, hostname: removed.hostname, force }, "node removed");
      return { already: false };
    },

    async ensureEnvironmentNetwork(ctx, env, subnet) {
      const network = environmentNetwork(env, subnet);
      const specs = { networks: [network], secrets: [], configs: [], services: [] };
      const { result } = await managers.send(
        {
          case: "stackApply",
          value: { namespace: network.Name, specsJson: JSON.stringify(specs), prune: false, wait: false },
        },
        opts(ctx, NODE_TIMEOUT_MS, workKey(ctx, "network.create", network)),
      );
      const apply = resultOf(result, "stackApply");
      return { created: apply.networksCreated.length > 0 };
    },

    async deployStack(ctx, model, stack, env, o = {}) {
      const rendered = renderModelStack(model, deps.modelDir, stack, env);
      const namespace = rendered.namespace;
      for (const w of rendered.warnings) ctx.progress?.(`warning: ${w}`);
      const specsJson = JSON.stringify(stackSpecs(rendered));
      const specHash = o.specHash ?? deploymentHash(model, stack, env);
      const services = rendered.services.map((s) => s.Name);
      const rollback = !o.noRollback;
      ctx.progress?.(`applying ${namespace}: ${services.length} service(s)`);
      const out = create(DeployStackResultSchema, { namespace, warnings: rendered.warnings });
      let fingerprints: Record<string, string> = {};
      try {
        const { result } = await managers.send(
          {
            case: "stackApply",
            value: {
              namespace,
              specsJson,
              prune: true,
              wait: true,
              waitTimeout: durationFromMs(DEPLOY_WAIT_MS),
              rollbackOnFailure: rollback,
              fingerprints: { ...deps.journal.fingerprints(namespace) },
            },
          },
          opts(ctx, DEPLOY_TIMEOUT_MS, workKey(ctx, "stack.deploy", { namespace, specsJson, rollback })),
        );
        const apply = resultOf(result, "stackApply");
        // The fingerprints are the state's, not the caller's: kept here, left out of the answer.
        fingerprints = apply.fingerprints;
        out.apply = { ...apply, fingerprints: {} };
        const failed = failedServices(apply);
        if (failed.length > 0 || apply.rolledBack) {
          throw new PhoenixError(
            ErrorCode.DEPLOY_FAILED,
            `${namespace}: ${failed.length > 0 ? failed.join("; ") : "tasks did not run"}${apply.rolledBack ? " (rolled back)" : ""}`,
            { place: { stack: namespace } },
          );
        }
      } catch (err) {
        const pe = PhoenixError.from(err, ErrorCode.DEPLOY_FAILED);
        // A deploy that failed on the agent still reports what it did: per service, the rollback, the writes.
        const partial = partialResultOf(err);
        if (!out.apply && partial?.result.case === "stackApply") out.apply = partial.result.value;
        const rolledBack = out.apply?.rolledBack ?? false;
        out.ok = false;
        out.error = toErrorInfo(pe);
        emit(
          { case: "stackFailed", value: { stack, env, namespace, error: out.error, rolledBack } },
          namespace,
        );
        await deps.journal.deployed(
          {
            stack,
            env,
            namespace,
            deployedAt: new Date().toISOString(),
            specHash,
            status: "failed",
            services,
          },
          { error: pe.describe(), ...(out.apply ? { dockerWrites: out.apply.dockerWrites } : {}) },
        );
        log.warn({ namespace, error: pe.describe() }, "stack deploy failed");
        return { result: out, rendered };
      }
      out.ok = true;
      await deps.journal.deployed(
        {
          stack,
          env,
          namespace,
          deployedAt: new Date().toISOString(),
          specHash,
          status: "deployed",
          services,
          ...(Object.keys(fingerprints).length > 0 ? { fingerprints: { ...fingerprints } } : {}),
        },
        { dockerWrites: out.apply?.dockerWrites ?? 0 },
      );
      emit(
        {
          case: "stackDeployed",
          value: { stack, env, namespace, services, dockerWrites: out.apply?.dockerWrites ?? 0 },
        },
        namespace,
      );
      log.info({ namespace, dockerWrites: out.apply?.dockerWrites }, "stack deployed");
      return { result: out, rendered };
    },

    renderFailures(model, targets) {
      return targets.flatMap((t) => {
        try {
          checkSpecsOf(model, t);
          return [];
        } catch (err) {
          return [PhoenixError.from(err)];
        }
      });
    },

    async checkStacks(model, targets, signal, removing = []) {
      const out = new Map<string, string[] | PhoenixError>();
      const notes = new Set<string>();
      const batches: { key: string; namespace: string; specsJson: string; notesOnly: boolean }[][] = [[]];
      let bytes = 0;
      for (const t of targets) {
        const key = stackKey(t);
        let specsJson: string;
        try {
          specsJson = checkSpecsOf(model, t);
        } catch (err) {
          out.set(key, PhoenixError.from(err));
          continue;
        }
        if (bytes > 0 && bytes + specsJson.length > (deps.checkBatchBytes ?? CHECK_BATCH_BYTES)) {
          batches.push([]);
          bytes = 0;
        }
        bytes += specsJson.length;
        batches.at(-1)?.push({
          key,
          namespace: stackNamespace(t.env, t.stack),
          specsJson,
          notesOnly: t.notesOnly === true,
        });
      }
      for (const batch of batches.filter((b) => b.length > 0)) {
        const { result } = await managers.send(
          {
            case: "stackCheck",
            value: {
              stacks: batch.map(({ namespace, specsJson, notesOnly }) => ({
                namespace,
                specsJson,
                prune: true,
                fingerprints: notesOnly ? {} : { ...deps.journal.fingerprints(namespace) },
                notesOnly,
              })),
              removing: [...removing],
            },
          },
          { timeoutMs: NODE_TIMEOUT_MS, ...(signal ? { signal } : {}) },
        );
        const answers = resultOf(result, "stackCheck").stacks;
        const adopted: Promise<void>[] = [];
        batch.forEach(({ key, namespace, notesOnly }, i) => {
          const a = answers[i];
          if (!a) out.set(key, new PhoenixError(ErrorCode.INTERNAL, "the agent answered for fewer stacks"));
          else out.set(key, a.error ? fromErrorInfo(a.error) : [...a.differences]);
          // A stack only counted was not compared (an agent older than notes_only compares it all the same).
          if (a && !notesOnly && Object.keys(a.fingerprints).length > 0)
            adopted.push(deps.journal.adoptFingerprints(namespace, a.fingerprints));
          for (const n of a?.notes ?? []) notes.add(n);
        });
        await Promise.all(adopted);
      }
      return { stacks: out, notes: [...notes] };
    },

    async removeStack(ctx, stack, env, namespace) {
      const { result } = await managers.send(
        { case: "stackRemove", value: { namespace } },
        opts(ctx, DEPLOY_TIMEOUT_MS, workKey(ctx, "stack.remove", { namespace })),
      );
      const removed = resultOf(result, "stackRemove").removed;
      await deps.journal.removed(stack, env, namespace);
      emit({ case: "stackRemoved", value: { stack, env, namespace } }, namespace);
      log.info({ namespace, removed: removed.length }, "stack removed");
      return { removed: [...removed] };
    },
  };
}
