import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import type { ObservedState, Plan } from "./planner";
import type { DesiredState } from "./scheduler";
import { checkStacks, stacksToCheck, stacksToCount, withStackChecks } from "./stack-checks";

const desired = {
  stacks: [
    { stack: "web", env: "dev1", namespace: "dev1_web", specHash: "h1" },
    { stack: "db", env: "dev1", namespace: "dev1_db", specHash: "h2" },
    { stack: "web", env: "test", namespace: "test_web", specHash: "h3" },
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

describe("stacksToCount", () => {
  it("counts the deployments the plan deploys, with their hashes, and names those it removes", () => {
    const steps: Plan["steps"] = [
      {
        kind: "deploy-stack",
        id: "deploy-stack:dev1/db",
        stack: "db",
        env: "dev1",
        namespace: "dev1_db",
        specHash: "h2",
        update: true,
      },
      { kind: "remove-stack", id: "remove-stack:test/old", stack: "old", env: "test", namespace: "test_old" },
    ];
    expect(stacksToCount(desired, { steps, notes: [] })).toEqual({
      targets: [{ stack: "db", env: "dev1", specHash: "h2", notesOnly: true }],
      removing: ["test_old"],
    });
  });
});

describe("checkStacks", () => {
  const targets = ["s0", "s1", "s2", "s3"].map((stack) => ({ stack, env: "dev1", specHash: "h" }));
  const refused = new PhoenixError(ErrorCode.INVALID_ARGUMENT, "command has no kind this agent knows");

  it("keeps the deployments that differ", async () => {
    const checks = await checkStacks(targets, async (asked) => ({
      stacks: new Map(
        asked.map((t) => [`dev1/${t.stack}`, t.stack === "s3" ? ["service dev1_s3_web: missing"] : []]),
      ),
      notes: ["network phoenix_env_dev1: has subnet 10.0.2.0/24, not 10.250.0.0/20; ..."],
    }));
    // What no deploy can change goes to the plan's notes, not to a deployment's differences.
    expect(checks).toEqual({
      differences: new Map([["dev1/s3", ["service dev1_s3_web: missing"]]]),
      notes: ["network phoenix_env_dev1: has subnet 10.0.2.0/24, not 10.250.0.0/20; ..."],
    });
  });

  it("names the deployments it could not compare in one note, and keeps the rest", async () => {
    const checks = await checkStacks(targets, async () => ({
      stacks: new Map<string, string[] | PhoenixError>([
        ["dev1/s0", new PhoenixError(ErrorCode.CONFLICT, "secret dev1_s0_key exists with other content")],
        ["dev1/s1", ["service dev1_s1_web: replicas changed outside Phoenix"]],
        ["dev1/s2", new PhoenixError(ErrorCode.INVALID_ARGUMENT, "bad specs")],
        ["dev1/s3", []],
      ]),
      notes: [],
    }));
    expect([...checks.differences.keys()]).toEqual(["dev1/s1"]);
    expect(checks.note).toBe(
      "could not compare dev1_s0, dev1_s2 with what the swarm runs (secret dev1_s0_key exists with other content): " +
        "a service removed or changed there by hand is not in this plan",
    );
  });

  it("names them all when the check fails as a whole (an agent too old to know it)", async () => {
    const checks = await checkStacks(targets.slice(0, 2), async () => Promise.reject(refused));
    expect(checks.differences.size).toBe(0);
    expect(checks.note).toMatch(
      /^could not compare dev1_s0, dev1_s1 with what the swarm runs \(command has no kind/,
    );
  });

  it("never names a deployment only counted, and keeps the notes its answer gave", async () => {
    const counted = { stack: "s9", env: "dev1", specHash: "h", notesOnly: true };
    const checks = await checkStacks([targets[0]!, counted], async () => ({
      stacks: new Map<string, string[] | PhoenixError>([
        ["dev1/s0", []],
        ["dev1/s9", new PhoenixError(ErrorCode.NOT_FOUND, "no such stack")],
      ]),
      notes: ["network phoenix_env_dev1: needs 300 addresses ..."],
    }));
    expect(checks).toEqual({
      differences: new Map(),
      notes: ["network phoenix_env_dev1: needs 300 addresses ..."],
    });
    // Failing as a whole, it names only the deployments to compare.
    const failed = await checkStacks([targets[0]!, counted], async () => Promise.reject(refused));
    expect(failed.note).toMatch(/^could not compare dev1_s0 with/);
  });

  it("asks nothing when there is nothing to compare", async () => {
    const checks = await checkStacks([], async () => Promise.reject(refused));
    expect(checks).toEqual({ differences: new Map(), notes: [] });
  });

  it("gives up when the plan is cancelled", async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(
      checkStacks(
        targets,
        async () => Promise.reject(new PhoenixError(ErrorCode.CANCELLED, "cancelled")),
        stop.signal,
      ),
    ).rejects.toThrow("cancelled");
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
      notes: [],
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
