import type { EngineService, EngineTask } from "./engine";
import { canonicalJson } from "./spec-hash";

/** How far a service's tasks of this deploy have got. */
export interface ServiceProgress {
  /** "running", "complete" (jobs), "failed" or "pending". */
  state: "running" | "complete" | "failed" | "pending";
  /** Tasks of the current spec running (completed, for jobs). */
  running: number;
  /** Tasks wanted. */
  desired: number;
  /** The task's error when failed, or why tasks are still pending (e.g. "no suitable node"). */
  error: string;
}

// Task states after which a task never runs again (docker/api/types/swarm/task.go).
const FAILED_STATES = new Set(["failed", "rejected"]);
// Update states that mean Docker gave up on the update of the service.
const FAILED_UPDATE_STATES = new Set(["paused", "rollback_started", "rollback_paused", "rollback_completed"]);

/** True for the job modes, whose tasks complete instead of running. */
export function isJob(svc: EngineService): boolean {
  return Boolean(svc.Spec.Mode?.ReplicatedJob || svc.Spec.Mode?.GlobalJob);
}

/**
 * The task template as a task carries it: Docker reports `Runtime` on the service's template
 * only, so it is left out of the comparison.
 */
export function taskTemplateKey(template: unknown): string {
  if (template === null || typeof template !== "object") return canonicalJson(template);
  const { Runtime: _runtime, ...rest } = template as Record<string, unknown>;
  return canonicalJson(rest);
}

/**
 * Tasks that run the service's current spec: same task template (and, for jobs, the current job
 * iteration). Tasks of earlier specs, being replaced by a rolling update, are left out.
 */
export function currentTasks(svc: EngineService, tasks: readonly EngineTask[]): EngineTask[] {
  const template = taskTemplateKey(svc.Spec.TaskTemplate);
  const iteration = svc.JobStatus?.JobIteration?.Index;
  return tasks.filter(
    (t) =>
      t.ServiceID === svc.ID &&
      taskTemplateKey(t.Spec) === template &&
      (!isJob(svc) || iteration === undefined || t.JobIteration?.Index === iteration),
  );
}

/** How many tasks the service wants: replicas, completions, or what Docker counts for global modes. */
export function desiredTasks(svc: EngineService): number {
  const mode = svc.Spec.Mode ?? { Replicated: { Replicas: 1 } };
  if (mode.Replicated) return mode.Replicated.Replicas ?? 1;
  if (mode.ReplicatedJob) return mode.ReplicatedJob.TotalCompletions ?? mode.ReplicatedJob.MaxConcurrent ?? 1;
  return svc.ServiceStatus?.DesiredTasks ?? 0;
}

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
const newestFirst = (a: EngineTask, b: EngineTask) =>
  time(b.Status.Timestamp ?? b.CreatedAt) - time(a.Status.Timestamp ?? a.CreatedAt);

/**
 * How long a global service that wants no task yet is given for Docker to place its tasks
 * before "no node matches" is accepted as its steady state.
 */
export const GLOBAL_SETTLE_MS = 5_000;

/**
 * The state of one service for the deploy that wrote it at `since` (epoch ms, Docker's clock):
 * failures of tasks created before `since` belong to earlier deploys and are ignored; pass
 * `Infinity` to only report the state without judging failures.
 */
export function evaluateService(
  svc: EngineService,
  tasks: readonly EngineTask[],
  since: number,
  now: number = Date.now(),
): ServiceProgress {
  const desired = desiredTasks(svc);
  const mine = currentTasks(svc, tasks).sort(newestFirst);
  const job = isJob(svc);
  const running = mine.filter((t) =>
    job ? t.Status.State === "complete" : t.Status.State === "running" && t.DesiredState === "running",
  ).length;

  const failed = mine.find((t) => FAILED_STATES.has(t.Status.State) && time(t.CreatedAt) >= since);
  const update = svc.UpdateStatus;
  const updateFailed =
    update?.State !== undefined && FAILED_UPDATE_STATES.has(update.State) && time(update.StartedAt) >= since;
  if (failed || updateFailed) {
    const error = (failed && taskError(failed)) || update?.Message || "update failed";
    return { state: "failed", running, desired, error };
  }
  // Docker counts a global service's wanted tasks from the tasks it made: right after a write
  // that count is still 0, so give the orchestrator a moment before believing it.
  const global = Boolean(svc.Spec.Mode?.Global || svc.Spec.Mode?.GlobalJob);
  const settling = global && desired === 0 && Number.isFinite(since) && now - since < GLOBAL_SETTLE_MS;
  if (running >= desired && !settling) {
    return { state: job ? "complete" : "running", running, desired, error: "" };
  }
  const waiting = mine.find((t) => t.Status.Err);
  if (waiting?.Status.Err) return { state: "pending", running, desired, error: waiting.Status.Err };
  const unallocated = mine.some((t) => t.Status.State === "new" && now - time(t.CreatedAt) >= NEW_STALL_MS);
  return { state: "pending", running, desired, error: unallocated ? NOT_ALLOCATED : "" };
}

/** How long a task may stay in state "new" (Swarm has yet to give it its addresses) before it is named. */
export const NEW_STALL_MS = 5_000;

/** Why a task stays in state "new": Docker says nothing of it. */
export const NOT_ALLOCATED =
  'a task stays in state "new": Swarm has not given it addresses on its networks; a network whose subnet is full does this (phoenix plan counts the addresses of a stack\'s networks)';

/** A task's error text: Docker's `Err` ("No such image: nope:latest"), else its status message. */
export function taskError(task: EngineTask): string {
  return task.Status.Err || task.Status.Message || task.Status.State;
}
