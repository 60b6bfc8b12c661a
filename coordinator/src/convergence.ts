import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { invalidModelError, type Model, stackNamespace } from "@phoenix/model";
import {
  type DeployStackResponseSchema,
  NodeRole,
  type PlanResponseSchema,
  type RemoveStackResponseSchema,
  type SwarmInitResponseSchema,
  type SwarmJoinResponseSchema,
  type SyncResponseSchema,
  toErrorInfo,
} from "@phoenix/proto";
import { createChannel } from "./async-channel";
import { VERSION } from "./config";
import { executeSteps } from "./executor";
import { deploymentHash, type Emit, type FleetActions, renderModelStack, stackKey } from "./fleet-actions";
import { fleetNotes } from "./fleet-notes";
import type { Logger } from "./logger";
import type { ManagerAccess } from "./manager-access";
import type { ModelSource } from "./model-source";
import type { DesiredNode } from "./node-view";
import type { FleetSnapshot, Observer } from "./observe";
import { planResponse, stepDependencies, stepTarget } from "./plan-view";
import { describe, type Plan, type PlanStep, plan as planSteps } from "./planner";
import { type AgentRecord, type Registry, resultOf } from "./registry";
import {
  type DesiredState,
  desiredState,
  modelEnvironments,
  type AdoptedGuest as SchedulerAdopted,
} from "./scheduler";
import { checkStacks, type StackChecks, stacksToCheck, stacksToCount, withStackChecks } from "./stack-checks";
import { type EnvironmentSource, type LegacySource, type StateStore, setEnvironmentSource } from "./state";
import { createStepRunner } from "./step-runner";
import { toObservedState } from "./to-observed";
import type { WriteLock } from "./write-lock";

type PlanInit = MessageInitShape<typeof PlanResponseSchema>;
type SyncInit = MessageInitShape<typeof SyncResponseSchema>;
type DeployInit = MessageInitShape<typeof DeployStackResponseSchema>;

/** What convergence works with. */
export interface ConvergenceDeps {
  models: ModelSource;
  state: StateStore;
  registry: Registry;
  managers: ManagerAccess;
  observer: Observer;
  actions: FleetActions;
  emit: Emit;
  lock: WriteLock;
  logger: Logger;
  /** How a guest updates its agent from this coordinator, for the version notes (none: not served). */
  agentUpdateCommand?: string;
}

/** A plan with what it was computed from. */
export interface PlanOutcome {
  plan: Plan;
  desired: DesiredState;
}

/** Plan, sync, deploy and the automatic per-guest reconcile: the coordinator's use cases. */
export interface Convergence {
  /**
   * The plan now (for an explicit snapshot and model, or fresh ones). It first waits (at most
   * RECONCILE_SETTLE_MS) for the automatic reconciles under way, and reads the fleet again when
   * the snapshot is older than the last one that changed something; a reconcile still running
   * after that is named in a note.
   */
  plan(snapshot?: FleetSnapshot, model?: Model): Promise<PlanInit>;
  /** Plan, then apply under the write lock: the plan, step updates, then the summary. */
  sync(o: { dryRun: boolean; signal?: AbortSignal }): AsyncIterable<SyncInit>;
  /** Joins, promotes/demotes, labels and sets availability of these guests only (no swarm init, no stacks). */
  reconcileGuests(guests: readonly string[], reason: string): Promise<void>;
  /** Compares the fleet with the model and emits drift.found when it differs (once per distinct difference). */
  checkDrift(reason: string): Promise<void>;
  swarmInit(node: string, signal?: AbortSignal): Promise<MessageInitShape<typeof SwarmInitResponseSchema>>;
  swarmJoin(node: string, signal?: AbortSignal): Promise<MessageInitShape<typeof SwarmJoinResponseSchema>>;
  /** Deploys a stack environment; with `dryRun`, answers what a deploy would change and changes nothing. */
  deploy(o: {
    stack: string;
    env: string;
    noRollback: boolean;
    dryRun?: boolean;
    signal?: AbortSignal;
  }): AsyncIterable<DeployInit>;
  remove(stack: string, env: string): Promise<MessageInitShape<typeof RemoveStackResponseSchema>>;
  /** Desired role and labels of every fleet guest, for node listings. */
  desiredNodes(snapshot: FleetSnapshot): Promise<Map<string, DesiredNode>>;
  /** Services with a running task, by swarm node id. */
  servicesByNode(signal?: AbortSignal): Promise<Map<string, string[]>>;
}

/**
 * Most steps of one sync or reconcile running at once. Steps run side by side only where the
 * plan's dependencies allow (see stepDependencies); the gain is mostly stack deploys, each of
 * which waits for its own tasks to run.
 */
export const STEP_CONCURRENCY = 4;

/**
 * How long a plan (and so `phoenix plan` and status) waits for the automatic reconciles under way
 * before it reads the fleet, so it does not show steps that are about to be done.
 */
export const RECONCILE_SETTLE_MS = 3_000;

/** Steps the automatic reconcile of a guest may run. */
const GUEST_STEPS = new Set<PlanStep["kind"]>(["join", "promote", "demote", "labels", "availability"]);

const ROLE: Record<string, NodeRole> = {
  manager: NodeRole.MANAGER,
  worker: NodeRole.WORKER,
  none: NodeRole.UNSPECIFIED,
};

function adoptedForScheduler(model: Model, state: StateStore): SchedulerAdopted[] {
  const role = model.cluster.swarm.adopt === "auto" ? "auto" : "worker";
  return Object.values(state.get().adopted).map((a) => ({
    name: a.name,
    hostname: a.hostname,
    ...(a.vmid !== undefined ? { vmid: a.vmid } : {}),
    role,
  }));
}

/**
 * The source of environments a state file recorded before sources were: `model` when the model
 * declares them now (sync deployed them), else `deploy` (only an operator can have), so an
 * upgrade removes nothing the coordinator kept before.
 */
export function legacyEnvironmentSource(model: Model | undefined): LegacySource {
  const declared = new Set((model ? modelEnvironments(model) : []).map((e) => `${e.env}/${e.stack}`));
  return (e) => (declared.has(`${e.env}/${e.stack}`) ? "model" : "deploy");
}

/** Stack checks that found nothing: a plan from the model and the recorded deployments alone. */
const NO_CHECKS: StackChecks = { differences: new Map(), notes: [] };

/** Creates the convergence use cases. */
export function createConvergence(deps: ConvergenceDeps): Convergence {
  const { models, state, registry, managers, observer, actions, emit, lock } = deps;
  const log = deps.logger.child({ component: "convergence" });
  let lastDrift = "";
  const deferred = new Set<string>();
  /** Automatic reconciles waiting for the write lock or running, with their guests. */
  const reconciling = new Map<Promise<void>, readonly string[]>();
  /** When the last automatic reconcile that ran steps finished them (ms since the epoch). */
  let reconciledAt = 0;
  /**
   * The last comparison of the stack deployments with the swarm: plans that do not compare again
   * (an automatic reconcile's) use it, less what was deployed or removed since.
   */
  let lastChecks: StackChecks | undefined;

  /** Waits for the reconciles under way, at most RECONCILE_SETTLE_MS; the guests of those still running. */
  const settleReconciles = async (): Promise<string[]> => {
    if (reconciling.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...reconciling.keys()]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, RECONCILE_SETTLE_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    return [...new Set([...reconciling.values()].flat())].sort();
  };

  /**
   * Refuses a plan that deploys a stack environment the model cannot render (a compose value
   * Docker would refuse): INVALID_MODEL with every such problem, as for a model file that does not
   * validate, so that a sync changes nothing instead of running the steps before that deploy.
   */
  const refuseUnrenderable = (model: Model, plan: Plan): void => {
    const targets = plan.steps.flatMap((s) =>
      s.kind === "deploy-stack" ? [{ stack: s.stack, env: s.env, specHash: s.specHash }] : [],
    );
    const failures = actions.renderFailures(model, targets);
    if (failures.length > 0) throw invalidModelError(failures);
  };

  /** A plan read after the reconciles under way, from the snapshot when it is newer than their changes. */
  const settledPlan = async (model: Model, snapshot?: FleetSnapshot, signal?: AbortSignal) => {
    const running = await settleReconciles();
    const fresh = snapshot && snapshot.at > reconciledAt ? snapshot : await observer.observe(signal);
    const { plan } = await checkedCompute(model, fresh, signal);
    refuseUnrenderable(model, plan);
    if (running.length > 0)
      plan.notes.push({
        message: `an automatic reconcile of ${running.join(", ")} is still running: its steps may be under way`,
      });
    return plan;
  };

  const compute = (model: Model, snapshot: FleetSnapshot, checks = lastChecks): PlanOutcome => {
    const st = state.get();
    const observed = withStackChecks(toObservedState(snapshot, st), checks);
    const desired = desiredState(model, observed, { adopted: adoptedForScheduler(model, state) });
    const plan = planSteps(desired, observed);
    if (checks?.note) plan.notes.push({ message: checks.note });
    for (const message of checks?.notes ?? []) plan.notes.push({ message });
    plan.notes.push(
      ...fleetNotes({
        agents: snapshot.agents,
        at: snapshot.at,
        ...(snapshot.clashes ? { clashes: snapshot.clashes } : {}),
        version: VERSION,
        ...(deps.agentUpdateCommand ? { updateCommand: deps.agentUpdateCommand } : {}),
      }),
    );
    return { plan, desired };
  };

  /**
   * The plan after comparing the stack deployments it would leave alone with what the swarm runs,
   * so that a service removed or changed there by hand is deployed again.
   */
  const checkedCompute = async (model: Model, snapshot: FleetSnapshot, signal?: AbortSignal) => {
    // Planned without any comparison (not the last one: what it found may no longer hold).
    const unchecked = compute(model, snapshot, NO_CHECKS);
    if (!snapshot.swarm) return unchecked;
    const counted = stacksToCount(unchecked.desired, unchecked.plan);
    const targets = [...stacksToCheck(unchecked.desired, unchecked.plan), ...counted.targets];
    const checks = await checkStacks(
      targets,
      (t) => actions.checkStacks(model, t, signal, counted.removing),
      signal,
    );
    lastChecks = checks;
    return checks.differences.size > 0 || checks.note || checks.notes.length > 0
      ? compute(model, snapshot, checks)
      : unchecked;
  };

  const freshPlan = async (signal?: AbortSignal, o: { checked: boolean } = { checked: true }) => {
    const model = await models.load();
    const snapshot = await observer.observe(signal);
    const outcome = o.checked ? await checkedCompute(model, snapshot, signal) : compute(model, snapshot);
    if (o.checked) refuseUnrenderable(model, outcome.plan);
    return { model, snapshot, ...outcome };
  };

  const noteDrift = (plan: Plan, reason: string) => {
    const lines = plan.steps.map(describe);
    const key = lines.join("\n");
    if (lines.length === 0) {
      lastDrift = "";
      return;
    }
    if (key === lastDrift) return;
    lastDrift = key;
    log.info({ reason, steps: lines.length }, "the fleet differs from the model");
    emit(
      { case: "driftFound", value: { steps: lines } },
      plan.steps[0] ? stepTarget(plan.steps[0]) : "fleet",
    );
  };

  /**
   * The actions, with stack deploys that settle who asked for the environment once it is recorded:
   * an operator's deploy makes it `deploy`; a sync's keeps the source it has (`model` when new).
   */
  const recording = (asked: EnvironmentSource): FleetActions => ({
    ...actions,
    async deployStack(ctx, model, stack, env, o) {
      const namespace = stackNamespace(env, stack);
      const had = state.get().environments[namespace]?.source;
      lastChecks?.differences.delete(stackKey({ env, stack }));
      const outcome = await actions.deployStack(ctx, model, stack, env, o);
      await setEnvironmentSource(state, namespace, asked === "deploy" ? "deploy" : (had ?? "model"));
      return outcome;
    },
  });

  const runSteps = async function* (
    model: Model,
    steps: readonly PlanStep[],
    runId: string,
    signal: AbortSignal | undefined,
  ) {
    const runner = createStepRunner({ actions: recording("model"), registry, model, runId });
    return yield* executeSteps(steps, runner.run, {
      retry: runner.retry,
      dependsOn: stepDependencies(steps),
      concurrency: STEP_CONCURRENCY,
      ...(signal ? { signal } : {}),
    });
  };

  /** What a deploy of the stack environment would change now, as the swarm runs it (no lock: it writes nothing). */
  const previewDeploy = async (stack: string, env: string, signal?: AbortSignal) => {
    const model = await models.load();
    const rendered = renderModelStack(model, models.dir, stack, env);
    const target = { stack, env, specHash: deploymentHash(model, stack, env) };
    const { stacks, notes } = await actions.checkStacks(model, [target], signal);
    const answer = stacks.get(stackKey(target));
    if (answer instanceof PhoenixError) throw answer;
    return {
      namespace: rendered.namespace,
      ok: true,
      warnings: [...rendered.warnings, ...notes],
      differences: answer ?? [],
    };
  };

  const resolveGuest = (model: Model | undefined, key: string): { name: string; agent?: AgentRecord } => {
    const agent = registry.get(key);
    if (agent?.guest) return { name: agent.guest, agent };
    const g = model?.guests.find((x) => x.name === key || String(x.vmid) === key);
    if (g) {
      const a = registry.get(g.name);
      return a ? { name: g.name, agent: a } : { name: g.name };
    }
    if (agent) return { name: agent.name, agent };
    throw new PhoenixError(ErrorCode.NOT_FOUND, `no guest or agent is called ${key}`, {
      place: { node: key },
    });
  };

  return {
    async plan(snapshot, model) {
      const m = model ?? (await models.load());
      return planResponse(await settledPlan(m, snapshot));
    },

    sync({ dryRun, signal }) {
      const out = createChannel<SyncInit>();
      const syncId = randomUUID();
      if (dryRun) {
        models
          .load()
          .then((model) => settledPlan(model, undefined, signal))
          .then(
            (plan) => {
              out.push({ msg: { case: "plan", value: planResponse(plan) } });
              out.push({
                msg: {
                  case: "summary",
                  value: { ok: true, stepsDone: 0, stepsTotal: plan.steps.length, syncId },
                },
              });
              out.close();
            },
            (err) => out.close(err),
          );
        return out;
      }
      lock
        .run("sync", async () => {
          const { model, plan } = await freshPlan(signal);
          out.push({ msg: { case: "plan", value: planResponse(plan) } });
          emit({ case: "syncStarted", value: { syncId, steps: plan.steps.length } }, "fleet");
          log.info({ syncId, steps: plan.steps.length }, "sync started");
          const gen = runSteps(model, plan.steps, syncId, signal);
          let next = await gen.next();
          while (!next.done) {
            out.push({ msg: { case: "step", value: next.value } });
            next = await gen.next();
          }
          const summary = next.value;
          const error = summary.error ? toErrorInfo(summary.error) : undefined;
          await state
            .update((d) => {
              d.lastSync = new Date().toISOString();
              d.history.push({
                at: d.lastSync,
                action: "sync",
                ok: summary.ok,
                ...(summary.error ? { error: summary.error.describe() } : {}),
              });
            })
            .catch((err) => log.error({ err: (err as Error).message }, "recording the sync failed"));
          emit(
            {
              case: "syncFinished",
              value: { syncId, ok: summary.ok, stepsDone: summary.stepsDone, ...(error ? { error } : {}) },
            },
            "fleet",
          );
          log.info(
            { syncId, ok: summary.ok, done: summary.stepsDone, total: summary.stepsTotal },
            "sync finished",
          );
          out.push({
            msg: {
              case: "summary",
              value: {
                ok: summary.ok,
                stepsDone: summary.stepsDone,
                stepsTotal: summary.stepsTotal,
                syncId,
                ...(error ? { error } : {}),
              },
            },
          });
          if (summary.ok) lastDrift = "";
        })
        .then(
          () => out.close(),
          (err) => out.close(err),
        );
      return out;
    },

    async reconcileGuests(touched, reason) {
      // Without a manager's agent nothing can be joined or labelled: keep the guests for the next run.
      if (managers.managers().length === 0) {
        for (const g of touched) deferred.add(g);
        return;
      }
      const guests = [...new Set([...deferred, ...touched])];
      deferred.clear();
      const batch = lock.run("reconcile", async () => {
        const model = await models.load(2_000).catch(() => models.current);
        if (!model) return;
        const snapshot = await observer.observe();
        if (!snapshot.swarm) return;
        const { plan } = compute(model, snapshot);
        const wanted = new Set(guests);
        const steps = plan.steps.filter(
          (s) => GUEST_STEPS.has(s.kind) && "guest" in s && wanted.has(s.guest.name),
        );
        if (steps.length > 0) {
          const runId = `reconcile-${randomUUID()}`;
          log.info({ guests, reason, steps: steps.map(describe) }, "reconciling guests");
          const gen = runSteps(model, steps, runId, undefined);
          let next = await gen.next();
          while (!next.done) next = await gen.next();
          const summary = next.value;
          reconciledAt = Date.now();
          if (!summary.ok)
            log.warn({ guests, error: summary.error?.describe() }, "reconciling guests failed");
        }
        const after = steps.length > 0 ? compute(model, await observer.observe()).plan : plan;
        noteDrift(after, reason);
      });
      reconciling.set(batch, guests);
      try {
        await batch;
      } finally {
        reconciling.delete(batch);
      }
    },

    async checkDrift(reason) {
      const model = await models.load().catch(() => undefined);
      if (!model) return;
      const snapshot = await observer.observe();
      noteDrift((await checkedCompute(model, snapshot)).plan, reason);
    },

    async swarmInit(node, signal) {
      return lock.run("swarm init", async () => {
        const { model, desired, snapshot } = await freshPlan(signal, { checked: false });
        if (snapshot.swarm) {
          const via = registry.get(snapshot.swarm.via);
          return { node: snapshot.swarm.via, nodeId: via?.docker?.nodeId ?? "", already: true };
        }
        let target: string;
        if (node) target = resolveGuest(model, node).name;
        else {
          const first = desired.managerOrder.find((name) => registry.get(name)?.online);
          if (!first) {
            throw new PhoenixError(
              ErrorCode.AGENT_OFFLINE,
              `no guest that should be a manager has its agent online (wanted: ${desired.managerOrder.join(", ") || "none"})`,
            );
          }
          target = first;
        }
        const r = await actions.initSwarm(
          { runId: `init-${randomUUID()}`, ...(signal ? { signal } : {}) },
          target,
        );
        return { node: target, nodeId: r.nodeId, already: r.already };
      });
    },

    async swarmJoin(node, signal) {
      return lock.run("swarm join", async () => {
        const { model, desired, snapshot } = await freshPlan(signal, { checked: false });
        const { name, agent } = resolveGuest(model, node);
        const want = desired.guests.find((g) => g.name === name);
        if (!want) {
          throw new PhoenixError(
            ErrorCode.NOT_FOUND,
            `${name} is not part of the fleet (not in the model, not adopted)`,
            {
              place: { node: name },
            },
          );
        }
        if (want.role === "none") {
          throw new PhoenixError(
            ErrorCode.INVALID_ARGUMENT,
            `${name} has swarm_role none in the model: it stays out of the swarm`,
            {
              place: { node: name },
            },
          );
        }
        if (!snapshot.swarm) {
          throw new PhoenixError(
            ErrorCode.NO_MANAGER,
            "there is no swarm to join yet: run `phoenix swarm init` first",
          );
        }
        const role = ROLE[want.role] ?? NodeRole.WORKER;
        const current = agent?.docker?.nodeId
          ? snapshot.swarm.nodes.find((n) => n.id === agent.docker?.nodeId)
          : undefined;
        if (current) return { node: name, nodeId: current.id, role: current.role, already: true };
        const r = await actions.joinSwarm(
          { runId: `join-${randomUUID()}`, ...(signal ? { signal } : {}) },
          name,
          role,
        );
        return { node: name, nodeId: r.nodeId, role, already: r.already };
      });
    },

    deploy({ stack, env, noRollback, dryRun, signal }) {
      const out = createChannel<DeployInit>();
      if (dryRun) {
        previewDeploy(stack, env, signal).then(
          (result) => {
            out.push({ msg: { case: "result", value: result } });
            out.close();
          },
          (err) => out.close(err),
        );
        return out;
      }
      lock
        .run("deploy", async () => {
          const model = await models.load();
          const ctx = {
            runId: `deploy-${randomUUID()}`,
            progress: (line: string) => out.push({ msg: { case: "progress", value: line } }),
            ...(signal ? { signal } : {}),
          };
          const { result } = await recording("deploy").deployStack(ctx, model, stack, env, { noRollback });
          out.push({ msg: { case: "result", value: result } });
        })
        .then(
          () => out.close(),
          (err) => out.close(err),
        );
      return out;
    },

    async remove(stack, env) {
      if (!stack.trim() || !env.trim()) {
        throw new PhoenixError(
          ErrorCode.INVALID_ARGUMENT,
          "a stack and an environment are needed (--env <env>)",
        );
      }
      const namespace = stackNamespace(env, stack);
      return lock.run("remove", async () => {
        if (!state.get().environments[namespace]) {
          const { result } = await managers.send(
            { case: "serviceList", value: { namespace } },
            { timeoutMs: 30_000 },
          );
          if (resultOf(result, "serviceList").services.length === 0) {
            throw new PhoenixError(
              ErrorCode.NOT_FOUND,
              `stack ${stack} is not deployed in ${env} (${namespace})`,
              {
                place: { stack: namespace },
              },
            );
          }
        }
        const r = await actions.removeStack({ runId: `remove-${randomUUID()}` }, stack, env, namespace);
        return { namespace, removed: r.removed };
      });
    },

    async desiredNodes(snapshot) {
      const model = await models.load(2_000);
      const { desired } = compute(model, snapshot);
      return new Map(
        desired.guests.map((g) => [
          g.name,
          { role: ROLE[g.role] ?? NodeRole.UNSPECIFIED, labels: g.labels ?? {} },
        ]),
      );
    },

    async servicesByNode(signal) {
      const opts = signal ? { timeoutMs: 30_000, signal } : { timeoutMs: 30_000 };
      const { result } = await managers.send({ case: "serviceList", value: { namespace: "" } }, opts);
      const services = resultOf(result, "serviceList").services;
      const byNode = new Map<string, string[]>();
      await Promise.all(
        services.map(async (s) => {
          const r = await managers.send({ case: "taskList", value: { service: s.id || s.name } }, opts);
          for (const t of resultOf(r.result, "taskList").tasks) {
            if (t.state !== "running" || !t.nodeId) continue;
            const list = byNode.get(t.nodeId) ?? [];
            if (!list.includes(s.name)) list.push(s.name);
            byNode.set(t.nodeId, list.sort());
          }
        }),
      );
      return byNode;
    },
  };
}
