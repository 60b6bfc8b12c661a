import type { ErrorPlace } from "@phoenix/errors";
import { sleep } from "./abort";
import type { Engine, EngineService } from "./engine";
import { evaluateService, type ServiceProgress } from "./task-state";

/** A service whose tasks a deploy waits for. */
export interface WaitTarget {
  id: string;
  name: string;
  /** When this deploy wrote the service (epoch ms, Docker's clock); earlier task failures are ignored. */
  since: number;
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
  /** Delay between two looks at the tasks (default 100 ms: the deploy answers soon after its last task runs). */
  pollMs?: number;
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
  for (;;) {
    const [services, tasks] = await Promise.all([engine.listServices(opts.ns), engine.listTasks()]);
    const byId = new Map(services.map((s) => [s.ID, s]));
    let pending = false;
    let failed = false;
    for (const target of targets) {
      const svc: EngineService | undefined = byId.get(target.id);
      const p: ServiceProgress = svc
        ? evaluateService(svc, tasks, target.since)
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
    if (Date.now() >= deadline) return { outcome: "timeout", progress };
    await sleep(Math.min(opts.pollMs ?? 100, Math.max(0, deadline - Date.now())), opts.signal, opts.place);
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
