import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { StepStatus } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import {
  type ExecuteOptions,
  type ExecutionSummary,
  executeSteps,
  type RunStep,
  type StepUpdateInit,
} from "./executor";

type Step = { id: string; fail?: ErrorCode; failOnce?: ErrorCode; progress?: string[] };

async function collect(
  steps: Step[],
  run: RunStep<Step>,
  retry?: (s: Step, e: PhoenixError) => Promise<boolean>,
) {
  const updates: string[] = [];
  const gen = executeSteps(steps, run, retry ? { retry } : {});
  let next = await gen.next();
  while (!next.done) {
    const u = next.value as StepUpdateInit;
    updates.push(`${u.stepId} ${StepStatus[u.status ?? 0]}${u.message ? ` ${u.message}` : ""}`);
    next = await gen.next();
  }
  return { updates, summary: next.value as ExecutionSummary };
}

const runner: RunStep<Step> = async (step, ctx) => {
  for (const p of step.progress ?? []) ctx.progress(p);
  await new Promise((r) => setTimeout(r, 1));
  if (step.fail) throw new PhoenixError(step.fail, `${step.id} broke`);
  if (step.failOnce && ctx.attempt === 1) throw new PhoenixError(step.failOnce, `${step.id} agent gone`);
  return `${step.id} ok`;
};

describe("executeSteps", () => {
  it("runs every step in order with progress and a summary", async () => {
    const { updates, summary } = await collect([{ id: "a", progress: ["1/2", "2/2"] }, { id: "b" }], runner);
    expect(updates).toEqual([
      "a STARTED",
      "a STARTED 1/2",
      "a STARTED 2/2",
      "a DONE a ok",
      "b STARTED",
      "b DONE b ok",
    ]);
    expect(summary).toEqual({ ok: true, stepsDone: 2, stepsTotal: 2 });
  });

  it("stops at the first failure and skips the rest", async () => {
    const { updates, summary } = await collect(
      [{ id: "a" }, { id: "b", fail: ErrorCode.DOCKER }, { id: "c" }],
      runner,
    );
    expect(updates).toEqual([
      "a STARTED",
      "a DONE a ok",
      "b STARTED",
      "b FAILED b broke",
      "c SKIPPED not run: b failed",
    ]);
    expect(summary).toMatchObject({ ok: false, stepsDone: 1, stepsTotal: 3, failedStep: "b" });
    expect(summary.error?.code).toBe(ErrorCode.DOCKER);
  });

  it.each([
    [true, "b DONE b ok", true],
    [false, "b FAILED b agent gone", false],
  ])("retries once when the policy says so (%s)", async (again, last, ok) => {
    const { updates, summary } = await collect(
      [{ id: "b", failOnce: ErrorCode.AGENT_OFFLINE }],
      runner,
      async (_s, e) => again && e.code === ErrorCode.AGENT_OFFLINE,
    );
    expect(updates.at(-1)).toBe(last);
    expect(summary.ok).toBe(ok);
    if (again) expect(updates).toContain("b STARTED retrying: b agent gone");
  });

  it("plans nothing, runs nothing", async () => {
    const { updates, summary } = await collect([], runner);
    expect(updates).toEqual([]);
    expect(summary).toEqual({ ok: true, stepsDone: 0, stepsTotal: 0 });
  });

  it("leaves progress a step reports after it ended out of the stream", async () => {
    let late: ((m: string) => void) | undefined;
    const { updates } = await collect([{ id: "a" }, { id: "b" }], async (step, ctx) => {
      if (step.id === "a") late = ctx.progress;
      else late?.("a is long done");
      return undefined;
    });
    expect(updates).toEqual(["a STARTED", "a DONE", "b STARTED", "b DONE"]);
  });
});

/** Steps that end when the test says so, and what ran at the same time. */
function gated() {
  const gates = new Map<string, { done(): void; fail(code: ErrorCode): void }>();
  const running = new Set<string>();
  let peak = 0;
  const run: RunStep<Step> = (step, ctx) =>
    new Promise((resolve, reject) => {
      running.add(step.id);
      peak = Math.max(peak, running.size);
      ctx.progress(`${step.id} under way`);
      gates.set(step.id, {
        done: () => {
          running.delete(step.id);
          resolve(undefined);
        },
        fail: (code) => {
          running.delete(step.id);
          reject(new PhoenixError(code, `${step.id} broke`));
        },
      });
    });
  return { run, gates, running, peak: () => peak };
}

/** Runs the executor in the background; `settle` lets every pending update through. */
function drive(steps: Step[], run: RunStep<Step>, opts: ExecuteOptions<Step>) {
  const updates: string[] = [];
  const gen = executeSteps(steps, run, opts);
  const summary = (async () => {
    let next = await gen.next();
    while (!next.done) {
      const u = next.value;
      updates.push(`${u.stepId} ${StepStatus[u.status ?? 0]}${u.message ? ` ${u.message}` : ""}`);
      next = await gen.next();
    }
    return next.value;
  })();
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    return updates.splice(0);
  };
  return { summary, settle };
}

describe("executeSteps side by side", () => {
  it("starts a step once what it depends on is done, earliest first, never more than the limit", async () => {
    const g = gated();
    const steps = ["a", "b", "c", "d", "e"].map((id) => ({ id }));
    const { summary, settle } = drive(steps, g.run, {
      concurrency: 2,
      dependsOn: [[], ["a"], ["a"], ["a"], ["b", "c", "d"]],
    });
    expect(await settle()).toEqual(["a STARTED", "a STARTED a under way"]);
    g.gates.get("a")!.done();
    expect(await settle()).toEqual([
      "a DONE",
      "b STARTED",
      "b STARTED b under way",
      "c STARTED",
      "c STARTED c under way",
    ]);
    g.gates.get("c")!.done();
    expect(await settle()).toEqual(["c DONE", "d STARTED", "d STARTED d under way"]);
    g.gates.get("b")!.done();
    expect(await settle()).toEqual(["b DONE"]);
    g.gates.get("d")!.done();
    expect(await settle()).toEqual(["d DONE", "e STARTED", "e STARTED e under way"]);
    g.gates.get("e")!.done();
    expect(await settle()).toEqual(["e DONE"]);
    expect(await summary).toEqual({ ok: true, stepsDone: 5, stepsTotal: 5 });
    expect(g.peak()).toBe(2);
  });

  it("starts nothing after a failure, lets the running steps finish and skips the rest", async () => {
    const g = gated();
    const steps = ["a", "b", "c", "d"].map((id) => ({ id }));
    const { summary, settle } = drive(steps, g.run, { concurrency: 2, dependsOn: [[], [], [], []] });
    await settle();
    g.gates.get("a")!.fail(ErrorCode.DOCKER);
    expect(await settle()).toEqual(["a FAILED a broke"]);
    expect([...g.running]).toEqual(["b"]);
    g.gates.get("b")!.done();
    expect(await settle()).toEqual(["b DONE", "c SKIPPED not run: a failed", "d SKIPPED not run: a failed"]);
    expect(await summary).toMatchObject({ ok: false, stepsDone: 1, stepsTotal: 4, failedStep: "a" });
  });

  it("starts nothing once cancelled, and says so of every step it did not run", async () => {
    const g = gated();
    const cancel = new AbortController();
    const { summary, settle } = drive([{ id: "a" }, { id: "b" }], g.run, { signal: cancel.signal });
    await settle();
    cancel.abort();
    g.gates.get("a")!.done();
    expect(await settle()).toEqual(["a DONE", "b SKIPPED not run: the sync was cancelled"]);
    const s = await summary;
    expect([s.ok, s.stepsDone, s.error?.code, s.failedStep]).toEqual([
      false,
      1,
      ErrorCode.CANCELLED,
      undefined,
    ]);
  });
});
