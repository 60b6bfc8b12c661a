import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { StepStatus } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { type ExecutionSummary, executeSteps, type RunStep, type StepUpdateInit } from "./executor";

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
});
