import type { ErrorPlace } from "@phoenix/errors";
import { sleep } from "./abort";
import type { Engine, EngineService } from "./engine";
import { evaluateService, isJob, type ServiceProgress } from "./task-state";

/** A service whose tasks a deploy waits for. */
export interface WaitTarget {
  id: string;
  name: string;
  /**
   * When this deploy wrote the service (epoch ms, Docker's clock); earlier task failures are ignored.
   * Absent for a service this deploy created: its creation time is read from Docker then.
   */
  since?: number;
}

/** Outcome of a wait: every target running (or complete), one failed, or the time ran out. */
export interface WaitOutcome {
  outcome: "done" | "failed" | "timeout";
  /** Latest progress per service id. */
  progress: Map<string, ServiceProgress>;
}

/** Options of waitForServices. */
export interface WaitOptions {
  ns: string;
  timeoutMs: number;
  signal: AbortSignal;
  progress: (msg: string) => void;
  place: ErrorPlace;
  /** Delay between two looks at the tasks while they change (default POLL_MS). */
  pollMs?: number;
}

/**
 * Default delay between two looks at a deploy's services while their task counts move: the deploy
 * answers about this long after Docker counts its last task running. A look reads the namespace's
 * services with their task counts (cheap); the tasks themselves are read when the counts say every
 * service is there, and every TASKS_EVERY looks otherwise (failures, progress lines).
 */
export const POLL_MS = 50;
/** While some service's count is short, the tasks are read on every this many looks. */
export const TASKS_EVERY = 4;
/**
 * Longest delay between two looks: while no count moves (a node setting up a network, pulling an
 * image) the delay grows by half each look up to this, and is back to POLL_MS at the next move. A
 * deploy of seconds then costs the agent and the manager's engine a few dozen looks, not hundreds
 * (each one an API call the engine answers and a JSON answer the agent reads).
 */
export const MAX_POLL_MS = 250;

/** The delay before the next look: POLL_MS (or `base`) after a look that saw a count move, else half as long again as the last, up to `max`. */
export function nextPollMs(lastMs: number, moved: boolean, base = POLL_MS, max = MAX_POLL_MS): number {
  return moved ? base : Math.min(max, Math.max(base, Math.round(lastMs * 1.5)));
}

/** The task counts of the targets as one string: two looks with the same key saw nothing move. */
export function countsKey(targets: readonly WaitTarget[], byId: ReadonlyMap<string, EngineService>): string {
  return targets
    .map((t) => {
      const c = byId.get(t.id)?.ServiceStatus;
      return c ? `${c.RunningTasks ?? 0}/${c.DesiredTasks ?? 0}/${c.CompletedTasks ?? 0}` : "-";
    })
    .join(",");
}

/**
 * Whether Docker's task counts of a service (`GET /services?status=true`) say it has what it
 * wants: running tasks, or completed ones for a job. Only a hint for when to read the tasks; the
 * verdict is evaluateService's. Without counts there is nothing to go by: true.
 */
export function countsSayDone(svc: EngineService | undefined): boolean {
  const status = svc?.ServiceStatus;
  if (!svc || status?.DesiredTasks === undefined) return true;
  const done = isJob(svc) ? (status.CompletedTasks ?? 0) : (status.RunningTasks ?? 0);
  return done >= status.DesiredTasks;
}

/** When the deploy wrote the service: the time it gave, else the service's creation (one it created). */
export function writtenSince(svc: EngineService, since: number | undefined): number {
  return since ?? Date.parse(svc.CreatedAt);
}

/**
 * Polls services and tasks until the tasks of this deploy run (or complete, for jobs), one of
 * them fails, or `timeoutMs` passes. Streams a progress line whenever a service's count or state
 * changes. Stops at the first failure: the deploy is failed from then on.
 */
export async function waitForServices(
  engine: Engine,
  targets: readonly WaitTarget[],
  opts: WaitOptions,
): Promise<WaitOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  const progress = new Map<string, ServiceProgress>();
  const said = new Map<string, string>();
  const ids = targets.map((t) => t.id);
  const base = opts.pollMs ?? POLL_MS;
  let delay = base;
  let lastKey: string | undefined;
  for (let look = 0; ; look++) {
    const services = await engine.listServices(opts.ns);
    const byId = new Map(services.map((s) => [s.ID, s]));
    const key = countsKey(targets, byId);
    delay = nextPollMs(delay, key !== lastKey, base, Math.max(base, MAX_POLL_MS));
    lastKey = key;
    const over = Date.now() >= deadline;
    if (look % TASKS_EVERY === 0 || over || targets.every((t) => countsSayDone(byId.get(t.id)))) {
      const tasks = await engine.listTasks(ids);
      let pending = false;
      let failed = false;
      for (const target of targets) {
        const svc: EngineService | undefined = byId.get(target.id);
        const p: ServiceProgress = svc
          ? evaluateService(svc, tasks, writtenSince(svc, target.since))
          : {
              state: "failed",
              running: 0,
              desired: 0,
              error: "the service was removed while the deploy waited",
            };
        progress.set(target.id, p);
        const line = describeProgress(target.name, p);
        if (said.get(target.id) !== line) {
          said.set(target.id, line);
          opts.progress(line);
        }
        if (p.state === "failed") failed = true;
        if (p.state === "pending") pending = true;
      }
      if (failed) return { outcome: "failed", progress };
      if (!pending) return { outcome: "done", progress };
      if (over) return { outcome: "timeout", progress };
    }
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), opts.signal, opts.place);
  }
}

/** "service dev1_app_web: 1/2 running", with the error when there is one. */
export function describeProgress(name: string, p: ServiceProgress): string {
  const count = `${p.running}/${p.desired} ${p.state === "complete" ? "complete" : "running"}`;
  const head = `service ${name}: ${count}`;
  if (p.state === "failed") return `${head}, failed: ${p.error}`;
  if (p.state === "pending" && p.error) return `${head} (${p.error})`;
  return head;
}

/** Waits until no task of the given services is left in the swarm, so their networks can go. */
export async function waitTasksGone(
  engine: Engine,
  serviceIds: ReadonlySet<string>,
  opts: Pick<WaitOptions, "timeoutMs" | "signal" | "place"> & { pollMs?: number },
): Promise<boolean> {
  if (serviceIds.size === 0) return true;
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const tasks = await engine.listTasks();
    if (!tasks.some((t) => serviceIds.has(t.ServiceID))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(opts.pollMs ?? 500, opts.signal, opts.place);
  }
}
