import { ErrorCode, type ErrorPlace, PhoenixError } from "@phoenix/errors";
import { durationMs, type StackApplyCommand } from "@phoenix/proto";
import type Dockerode from "dockerode";
import { checkAborted } from "./abort";
import { eachBounded, eachBoundedInOrder, WRITE_CONCURRENCY } from "./bounded";
import { capacityNotes, stateReads } from "./check-stack";
import { changesOutside, specFingerprint } from "./drift";
import {
  createEngine,
  type Engine,
  type EngineNetwork,
  type EngineObject,
  type EngineService,
  type EngineServiceSpec,
  type EngineTask,
} from "./engine";
import { isSharedNetwork, isStackNetwork, SPEC_HASH_LABEL } from "./labels";
import { subnetChange } from "./network-subnet";
import { type ObjectPlan, planObjects } from "./object-versions";
import { checkNamespace, readAsManager } from "./preflight";
import {
  networkRefs,
  type ObjectRef,
  objectRefs,
  objectsByName,
  type RefLookup,
  resolveServiceSpec,
  serviceHash,
} from "./resolve-service";
import { specHash } from "./spec-hash";
import { StackApplyError, type StackApplyResultInit } from "./stack-apply-error";
import { type NetworkSpec, parseStackSpecs, type StackSpecs } from "./stack-specs";
import { evaluateService, type ServiceProgress } from "./task-state";
import { type WaitTarget, waitForServices, waitTasksGone, writtenSince } from "./wait-tasks";

/** Context of a stack command: the command's deadline/cancel signal and a progress line sink. */
export interface StackContext {
  signal: AbortSignal;
  progress: (msg: string) => void;
}

/** How long a deploy waits for its tasks when the command gives no timeout. */
export const DEFAULT_WAIT_TIMEOUT_MS = 120_000;

type ServiceAction = "created" | "updated" | "unchanged" | "removed" | "rolled-back";

// What the deploy did to one service, with what it takes to undo it.
interface ServiceChange {
  name: string;
  id: string;
  action: ServiceAction;
  /** The stored spec before this deploy (updated or pruned services). */
  previous?: EngineServiceSpec;
  /**
   * When the deploy wrote it, Docker's clock (epoch ms); absent for a created service, whose
   * creation time Docker reports with the service.
   */
  since?: number;
  progress?: ServiceProgress;
}

/**
 * Applies a stack's specs the way `docker stack deploy` does, idempotently: check manager →
 * prune services → networks → secrets and configs → services → wait → remove what was replaced or
 * pruned. Writes of one step that do not depend on each other run side by side (at most
 * WRITE_CONCURRENCY at a time); a step starts when the one before it is done. A re-apply of the same
 * specs makes no Docker write. On failure the previous specs are restored when the command asks for
 * it; the failure is thrown as a StackApplyError.
 */
export async function applyStack(
  docker: Dockerode,
  cmd: StackApplyCommand,
  ctx: StackContext,
): Promise<StackApplyResultInit> {
  const ns = checkNamespace(cmd.namespace);
  const place: ErrorPlace = { stack: ns };
  const specs = parseStackSpecs(cmd.specsJson, ns);
  const engine = createEngine(docker, ctx.signal, place);
  const { reads: current } = await readAsManager(
    engine,
    place,
    // The tasks are read with the rest: an apply that writes nothing reports its services' tasks from these.
    Promise.all([...stateReads(engine, ns), engine.listStackTasks(ns)]),
  );
  return new StackApply(engine, ns, specs, cmd, ctx, current).run();
}

/**
 * What the swarm holds when a deploy starts: the namespace's services, all networks, secrets, configs,
 * and the namespace's tasks.
 */
type CurrentState = [EngineService[], EngineNetwork[], EngineObject[], EngineObject[], EngineTask[]];

class StackApply {
  private readonly place: ErrorPlace;
  private readonly changes: ServiceChange[] = [];
  private readonly pruned: ServiceChange[] = [];
  private readonly createdNetworks: { name: string; id: string }[] = [];
  private readonly createdObjects: { kind: "secret" | "config"; name: string; id: string }[] = [];
  private readonly removed: string[] = [];
  private rolledBack = false;
  private settled = false;
  /** Each service of the namespace as the apply left it (specFingerprint), once it succeeded. */
  private fingerprints: Record<string, string> = {};

  constructor(
    private readonly engine: Engine,
    private readonly ns: string,
    private readonly specs: StackSpecs,
    private readonly cmd: StackApplyCommand,
    private readonly ctx: StackContext,
    private readonly current: Promise<CurrentState>,
  ) {
    this.place = { stack: ns };
  }

  async run(): Promise<StackApplyResultInit> {
    try {
      await this.apply();
    } catch (err) {
      throw await this.fail(PhoenixError.from(err, ErrorCode.DOCKER));
    }
    return this.result();
  }

  private async apply(): Promise<void> {
    const { ns } = this;
    const [services, networks, allSecrets, allConfigs] = await this.current;
    if (this.cmd.prune) await this.pruneServices(services);
    const networkRefs = await this.applyNetworks(networks);
    const secrets = planObjects("secret", this.specs.secrets, allSecrets, ns);
    const configs = planObjects("config", this.specs.configs, allConfigs, ns);
    const { secretRefs, configRefs } = await this.applyObjects(secrets, configs, allSecrets, allConfigs);
    await this.applyServices(services, { networks: networkRefs, secrets: secretRefs, configs: configRefs });

    const failure = await this.waitOrSnapshot();
    if (failure) throw failure;
    // From here on the new specs run: a failure to clean up is reported, never rolled back.
    this.settled = true;

    await this.removeReplaced(secrets, configs);
    if (this.cmd.prune) await this.pruneLeftovers(secrets, configs, this.undeclaredNetworks(networks));
    // Nothing written: the services read at the start are the ones there are.
    const now = this.engine.writes === 0 ? services : await this.engine.listServices(ns);
    this.fingerprints = Object.fromEntries(now.map((svc) => [svc.Spec.Name, specFingerprint(svc.Spec)]));
  }

  private progress(msg: string): void {
    this.ctx.progress(msg);
  }

  private step(): void {
    checkAborted(this.ctx.signal, this.place);
  }

  private async pruneServices(existing: EngineService[]): Promise<void> {
    const declared = new Set(this.specs.services.map((s) => s.Name));
    const undeclared = existing.filter((svc) => !declared.has(svc.Spec.Name));
    await eachBoundedInOrder(
      undeclared,
      WRITE_CONCURRENCY,
      async (svc) => {
        this.step();
        await this.engine.removeService(svc.ID);
        this.progress(`service ${svc.Spec.Name}: removed (no longer declared)`);
        return svc;
      },
      (svc) => {
        this.pruned.push({
          name: svc.Spec.Name,
          id: svc.ID,
          action: "removed",
          previous: svc.Spec,
          since: 0,
        });
        this.removed.push(svc.Spec.Name);
      },
    );
  }

  private async applyNetworks(existing: EngineNetwork[]): Promise<Map<string, ObjectRef>> {
    const refs = networkRefs(existing);
    const missing: { spec: NetworkSpec; hash: string }[] = [];
    for (const spec of this.specs.networks) {
      const hash = networkHash(spec);
      const found = refs.get(spec.Name);
      if (!found) {
        missing.push({ spec, hash });
        continue;
      }
      const current = existing.find((n) => n.Id === found.id);
      const stored = current?.Labels?.[SPEC_HASH_LABEL];
      if (isSharedNetwork(current?.Labels ?? undefined)) {
        const line = subnetChange(spec, current);
        if (line) this.progress(`network ${spec.Name}: ${line}`);
      } else if (stored && stored !== hash) {
        this.progress(
          `network ${spec.Name}: its settings changed; Docker cannot change a network in place, remove the stack to recreate it`,
        );
      }
    }
    await eachBoundedInOrder(
      missing,
      WRITE_CONCURRENCY,
      async ({ spec, hash }) => {
        this.step();
        const body = {
          ...spec,
          Driver: spec.Driver ?? "overlay",
          Labels: { ...spec.Labels, [SPEC_HASH_LABEL]: hash },
        };
        let id: string;
        try {
          id = await this.engine.createNetwork(body);
        } catch (err) {
          // Another stack of the environment may have created the shared network meanwhile.
          const now = (await this.engine.listNetworks()).find(
            (n) => n.Name === spec.Name && n.Scope === "swarm",
          );
          if (!now) throw err;
          refs.set(spec.Name, { name: now.Name, id: now.Id });
          return undefined;
        }
        refs.set(spec.Name, { name: spec.Name, id });
        this.progress(`network ${spec.Name}: created`);
        return { name: spec.Name, id };
      },
      (n) => this.createdNetworks.push(n),
    );
    return refs;
  }

  private undeclaredNetworks(existing: EngineNetwork[]): EngineNetwork[] {
    const declared = new Set(this.specs.networks.map((n) => n.Name));
    return existing.filter((n) => isStackNetwork(n.Labels ?? undefined, this.ns) && !declared.has(n.Name));
  }

  /** Creates the secrets and configs whose content is new, side by side; returns name → object lookups. */
  private async applyObjects(
    secrets: ObjectPlan,
    configs: ObjectPlan,
    allSecrets: EngineObject[],
    allConfigs: EngineObject[],
  ): Promise<{ secretRefs: RefLookup; configRefs: RefLookup }> {
    const kinds = [
      { kind: "secret" as const, plan: secrets, existing: allSecrets },
      { kind: "config" as const, plan: configs, existing: allConfigs },
    ];
    const creates = kinds.flatMap(({ kind, plan }) =>
      plan.versions.filter((v) => v.create).map((version) => ({ kind, version })),
    );
    await eachBoundedInOrder(
      creates,
      WRITE_CONCURRENCY,
      async ({ kind, version }) => {
        if (!version.create) return undefined;
        this.step();
        version.id = await this.engine.createObject(kind, version.create);
        this.progress(`${kind} ${version.name}: created`);
        return { kind, name: version.name, id: version.id };
      },
      (o) => this.createdObjects.push(o),
    );
    return {
      secretRefs: objectRefs(secrets, objectsByName(allSecrets)),
      configRefs: objectRefs(configs, objectsByName(allConfigs)),
    };
  }

  private async applyServices(
    existing: EngineService[],
    refs: Parameters<typeof resolveServiceSpec>[1],
  ): Promise<void> {
    const byName = new Map(existing.map((s) => [s.Spec.Name, s]));
    // Every body is resolved before the first write: a spec that cannot be resolved fails the
    // deploy before any service changed.
    const plan = this.specs.services.map((spec) => {
      const body = resolveServiceSpec(spec, refs, this.ns) as EngineServiceSpec;
      const current = byName.get(spec.Name);
      const drifted = current ? changesOutside(current.Spec, body, this.cmd.fingerprints[spec.Name]) : [];
      const unchanged = current && serviceHash(current.Spec) === serviceHash(body) && drifted.length === 0;
      return { body, current, drifted, unchanged };
    });
    if (plan.some((p) => !p.unchanged)) await this.sayCapacity();
    await eachBoundedInOrder(
      plan,
      WRITE_CONCURRENCY,
      async ({ body, current, drifted, unchanged }): Promise<ServiceChange> => {
        if (current && unchanged) {
          return { name: body.Name, id: current.ID, action: "unchanged", since: Number.POSITIVE_INFINITY };
        }
        this.step();
        return current ? this.updateService(current, body, drifted) : this.createService(body);
      },
      (change) => this.changes.push(change),
    );
  }

  /**
   * Before services are written: what the plan would say of a network of the stack whose subnet
   * these specs fill or nearly fill (capacityNotes), as progress lines. The networks are the ones
   * read at the start (one this apply created counts as new). Best effort: a read that fails only
   * leaves the lines out. An apply that writes no service reads nothing for it.
   */
  private async sayCapacity(): Promise<void> {
    let lines: string[];
    try {
      const [[, networks], services, nodes, subnetSize] = await Promise.all([
        this.current,
        this.engine.listServices(),
        this.engine.listNodes(),
        this.engine.subnetSize(),
      ]);
      lines = [
        ...capacityNotes(
          [{ ns: this.ns, specs: this.specs }],
          { services, networks, nodes, subnetSize },
          [],
        ).values(),
      ];
    } catch {
      this.step();
      return;
    }
    for (const line of lines) this.progress(line);
  }

  private async createService(body: EngineServiceSpec): Promise<ServiceChange> {
    const id = await this.engine.createService(body);
    this.progress(`service ${body.Name}: created`);
    return { name: body.Name, id, action: "created" };
  }

  private async updateService(
    current: EngineService,
    body: EngineServiceSpec,
    drifted: string[],
  ): Promise<ServiceChange> {
    // Keep Docker's force-update counter unless the spec sets it, as `docker stack deploy`
    // does: otherwise every deploy would restart tasks whose spec did not change.
    if (body.TaskTemplate.ForceUpdate === undefined && current.Spec.TaskTemplate.ForceUpdate !== undefined) {
      body.TaskTemplate.ForceUpdate = current.Spec.TaskTemplate.ForceUpdate;
    }
    await this.engine.updateService(current.ID, current.Version.Index, body);
    // Task failures from before this write belong to the spec it replaced: note when it happened,
    // by Docker's clock. Should reading it back fail, the write still happened and must be
    // reported (and rolled back): this host's clock stands in, and the wait's next read fails too.
    const since = await this.engine.inspectService(current.ID).then(
      (svc) => Date.parse(svc.UpdatedAt),
      () => Date.now(),
    );
    const why = drifted.length > 0 ? ` (${drifted.join(", ")} changed outside Phoenix)` : "";
    this.progress(`service ${body.Name}: updated${why}`);
    return { name: body.Name, id: current.ID, action: "updated", previous: current.Spec, since };
  }

  /** Waits for the services this deploy wrote (when asked) and records every service's state. */
  private async waitOrSnapshot(): Promise<PhoenixError | undefined> {
    const written = this.changes.filter((c) => c.action !== "unchanged");
    if (this.cmd.wait && written.length > 0) {
      const timeoutMs = this.cmd.waitTimeout ? durationMs(this.cmd.waitTimeout) : 0;
      const limit = timeoutMs > 0 ? timeoutMs : DEFAULT_WAIT_TIMEOUT_MS;
      const targets: WaitTarget[] = written.map((c) => ({
        id: c.id,
        name: c.name,
        ...(c.since !== undefined ? { since: c.since } : {}),
      }));
      const waited = await waitForServices(this.engine, targets, {
        ns: this.ns,
        timeoutMs: limit,
        signal: this.ctx.signal,
        progress: (m) => this.progress(m),
        place: this.place,
      });
      for (const c of written) c.progress = waited.progress.get(c.id);
      await this.snapshot(this.changes.filter((c) => c.action === "unchanged"));
      if (waited.outcome === "failed") return this.deployFailed();
      if (waited.outcome === "timeout") return this.timedOut(limit);
      return undefined;
    }
    await this.snapshot(this.changes);
    return undefined;
  }

  private async snapshot(changes: ServiceChange[]): Promise<void> {
    if (changes.length === 0) return;
    // Nothing written (a re-apply of the same specs): what was read at the start is still the state.
    const [services, tasks] =
      this.engine.writes === 0
        ? await this.current.then((c) => [c[0], c[4]] as const)
        : await Promise.all([
            this.engine.listServices(this.ns),
            this.engine.listTasks(changes.map((c) => c.id)),
          ]);
    for (const c of changes) {
      const svc = services.find((s) => s.ID === c.id);
      if (svc) c.progress = evaluateService(svc, tasks, writtenSince(svc, c.since));
    }
  }

  private deployFailed(): PhoenixError {
    const failed = this.changes.filter((c) => c.progress?.state === "failed");
    const details = failed.map(
      (c) =>
        new PhoenixError(ErrorCode.DEPLOY_FAILED, c.progress?.error || "tasks failed", {
          place: { stack: this.ns, service: c.name },
        }),
    );
    const first = failed[0];
    const what = first ? `service ${first.name}: ${first.progress?.error || "tasks failed"}` : "tasks failed";
    return new PhoenixError(ErrorCode.DEPLOY_FAILED, `deploy of stack ${this.ns} failed: ${what}`, {
      place: { stack: this.ns, ...(first ? { service: first.name } : {}) },
      details,
    });
  }

  private timedOut(limitMs: number): PhoenixError {
    const late = this.changes.filter((c) => c.progress?.state === "pending");
    const describe = (c: ServiceChange) =>
      `${c.name} ${c.progress?.running ?? 0}/${c.progress?.desired ?? 0} running${c.progress?.error ? ` (${c.progress.error})` : ""}`;
    const details = late.map(
      (c) =>
        new PhoenixError(ErrorCode.TIMEOUT, describe(c), {
          place: { stack: this.ns, service: c.name },
        }),
    );
    const first = late[0];
    return new PhoenixError(
      ErrorCode.TIMEOUT,
      `tasks of stack ${this.ns} did not all run within ${Math.round(limitMs / 1000)} s: ${late.map(describe).join("; ")}`,
      { place: { stack: this.ns, ...(first ? { service: first.name } : {}) }, details },
    );
  }

  /** Rolls back when asked (not after a cancel) and returns the error to throw, with the report. */
  private async fail(err: PhoenixError): Promise<StackApplyError> {
    let message = err.message;
    const cancelled = this.ctx.signal.aborted;
    if (this.cmd.rollbackOnFailure && !cancelled && !this.settled) {
      try {
        if (await this.rollback()) message += "; rolled back to the previous specs";
      } catch (rollbackErr) {
        message += `; rollback failed: ${PhoenixError.from(rollbackErr, ErrorCode.DOCKER).message}`;
      }
    }
    return new StackApplyError(err.code, message, {
      place: err.place,
      details: err.details,
      cause: err,
      result: this.result(),
    });
  }

  /** Restores every service this deploy changed and removes what it created; false if nothing changed. */
  private async rollback(): Promise<boolean> {
    const { engine } = this;
    const touched = [...this.changes.filter((c) => c.action !== "unchanged"), ...this.pruned];
    if (touched.length === 0 && this.createdNetworks.length === 0 && this.createdObjects.length === 0)
      return false;
    this.progress(`stack ${this.ns}: rolling back`);
    // Services first (so nothing uses what was created any more), then secrets and configs, then
    // networks once the tasks of the removed services are gone; side by side within each step.
    const gone = new Set<string>();
    await eachBounded([...touched].reverse(), WRITE_CONCURRENCY, async (c) => {
      if (c.action === "created") {
        await engine.removeService(c.id);
        gone.add(c.id);
      } else if (c.action === "updated" && c.previous) {
        const now = await engine.inspectService(c.id);
        await engine.updateService(c.id, now.Version.Index, c.previous);
      } else if (c.action === "removed" && c.previous) {
        c.id = await engine.createService(c.previous);
        this.removed.splice(this.removed.indexOf(c.name), 1);
      }
      c.action = "rolled-back";
      this.progress(`service ${c.name}: rolled back`);
    });
    await eachBoundedInOrder(
      [...this.createdObjects].reverse(),
      WRITE_CONCURRENCY,
      async (o) => {
        await engine.removeObject(o.kind, o.id);
        this.progress(`${o.kind} ${o.name}: removed`);
        return o.name;
      },
      (name) => this.removed.push(name),
    );
    if (this.createdNetworks.length > 0) {
      await waitTasksGone(engine, gone, { timeoutMs: 60_000, signal: this.ctx.signal, place: this.place });
      await eachBoundedInOrder(
        [...this.createdNetworks].reverse(),
        WRITE_CONCURRENCY,
        async (n) => {
          await engine.removeNetwork(n.id);
          this.progress(`network ${n.name}: removed`);
          return n.name;
        },
        (name) => this.removed.push(name),
      );
    }
    this.rolledBack = true;
    return true;
  }

  /** Removes the old versions of rotated secrets and configs, now that no service of the stack uses them. */
  private async removeReplaced(secrets: ObjectPlan, configs: ObjectPlan): Promise<void> {
    for (const [kind, plan] of [
      ["secret", secrets],
      ["config", configs],
    ] as const) {
      for (const o of plan.replaced) await this.removeObject(kind, o.ID, o.Spec.Name);
    }
  }

  private async pruneLeftovers(
    secrets: ObjectPlan,
    configs: ObjectPlan,
    networks: EngineNetwork[],
  ): Promise<void> {
    for (const [kind, plan] of [
      ["secret", secrets],
      ["config", configs],
    ] as const) {
      for (const o of plan.undeclared) await this.removeObject(kind, o.ID, o.Spec.Name);
    }
    if (networks.length === 0) return;
    const gone = await waitTasksGone(this.engine, new Set(this.pruned.map((p) => p.id)), {
      timeoutMs: 60_000,
      signal: this.ctx.signal,
      place: this.place,
    });
    for (const n of networks) {
      this.step();
      try {
        await this.engine.removeNetwork(n.Id);
        this.removed.push(n.Name);
        this.progress(`network ${n.Name}: removed (no longer declared)`);
      } catch (err) {
        if (gone) throw err;
        this.progress(
          `network ${n.Name}: kept for now, tasks still use it (${PhoenixError.from(err).message})`,
        );
      }
    }
  }

  private async removeObject(kind: "secret" | "config", id: string, name: string): Promise<void> {
    this.step();
    try {
      await this.engine.removeObject(kind, id);
    } catch (err) {
      // A service outside this stack (or one left unpruned) may still use it: keep it, say so.
      const message = PhoenixError.from(err).message;
      if (!/in use/i.test(message)) throw err;
      this.progress(`${kind} ${name}: kept, ${message}`);
      return;
    }
    this.removed.push(name);
    this.progress(`${kind} ${name}: removed`);
  }

  private result(): StackApplyResultInit {
    const services = [...this.changes, ...this.pruned].map((c) => ({
      name: c.name,
      action: c.action,
      state: c.progress?.state ?? "",
      running: c.progress?.running ?? 0,
      desired: c.progress?.desired ?? 0,
      error: c.progress?.error ?? "",
    }));
    return {
      services,
      networksCreated: this.createdNetworks.map((n) => n.name),
      objectsCreated: this.createdObjects.map((o) => o.name),
      removed: [...this.removed],
      dockerWrites: this.engine.writes,
      rolledBack: this.rolledBack,
      fingerprints: this.fingerprints,
    };
  }
}

/** Hash of a network's declared settings, stored in a label to notice a later change. */
function networkHash(spec: NetworkSpec): string {
  const labels = { ...spec.Labels };
  delete labels[SPEC_HASH_LABEL];
  return specHash({ ...spec, Labels: labels });
}
