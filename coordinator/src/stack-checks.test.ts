import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import type { ObservedState, Plan } from "./planner";
import type { DesiredState } from "./scheduler";
import { CHECK_CONCURRENCY, checkStacks, stacksToCheck, withStackChecks } from "./stack-checks";

const desired = {
  stacks: [
    { stack: "web", env: "dev1" },
    { stack: "db", env: "dev1" },
    { stack: "web", env: "test" },
  ],
} as unknown as DesiredState;

describe("stacksToCheck", () => {
  it.each<[string, Plan["steps"], string[]]>([
    ["every desired deployment when the plan deploys none", [], ["dev1/web", "dev1/db", "test/web"]],
    [
      "only those the plan leaves alone",
      [
        {
          kind: "deploy-stack",
          id: "deploy-stack:dev1/db",
          stack: "db",
          env: "dev1",
          namespace: "dev1_db",
          specHash: "h",
          update: true,
        },
        {
          kind: "remove-stack",
          id: "remove-stack:test/web",
          stack: "web",
          env: "test",
          namespace: "test_web",
        },
      ],
      ["dev1/web"],
    ],
  ])("%s", (_name, steps, want) => {
    expect(stacksToCheck(desired, { steps, notes: [] }).map((s) => `${s.env}/${s.stack}`)).toEqual(want);
  });
});

describe("checkStacks", () => {
  const targets = Array.from({ length: 10 }, (_, i) => ({ stack: `s${i}`, env: "dev1" }));

  it("keeps the deployments that differ, and compares at most CHECK_CONCURRENCY at once", async () => {
    let running = 0;
    let most = 0;
    const checks = await checkStacks(targets, async (stack) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return stack === "s3" ? ["service dev1_s3_web: missing"] : [];
    });
    expect(checks).toEqual({ differences: new Map([["dev1/s3", ["service dev1_s3_web: missing"]]]) });
    expect(most).toBe(CHECK_CONCURRENCY);
  });

  it("names the deployments it could not compare in one note, and keeps the rest", async () => {
    const checks = await checkStacks(targets.slice(0, 4), async (stack) => {
      if (stack === "s2" || stack === "s0")
        throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "command has no kind this agent knows");
      return stack === "s1" ? ["service dev1_s1_web: replicas changed outside Phoenix"] : [];
    });
    expect([...checks.differences.keys()]).toEqual(["dev1/s1"]);
    expect(checks.note).toBe(
      "could not compare dev1_s0, dev1_s2 with what the swarm runs (command has no kind this agent knows): " +
        "a service removed or changed there by hand is not in this plan",
    );
  });

  it("gives up when the plan is cancelled", async () => {
    const stop = new AbortController();
    const run = checkStacks(
      targets,
      async () => {
        stop.abort();
        throw new PhoenixError(ErrorCode.CANCELLED, "cancelled");
      },
      stop.signal,
    );
    await expect(run).rejects.toThrow("cancelled");
  });
});

describe("withStackChecks", () => {
  const observed = {
    stacks: [
      { stack: "web", env: "dev1", specHash: "a", source: "model" },
      { stack: "db", env: "dev1", specHash: "b", source: "model" },
    ],
  } as unknown as ObservedState;

  it("adds each deployment's differences and leaves the others and the input alone", () => {
    const out = withStackChecks(observed, {
      differences: new Map([["dev1/db", ["service dev1_db_db: missing"]]]),
    });
    expect(out.stacks).toEqual([
      { stack: "web", env: "dev1", specHash: "a", source: "model" },
      {
        stack: "db",
        env: "dev1",
        specHash: "b",
        source: "model",
        differences: ["service dev1_db_db: missing"],
      },
    ]);
    expect(observed.stacks[1]).not.toHaveProperty("differences");
    expect(withStackChecks(observed, undefined)).toBe(observed);
  });
});
