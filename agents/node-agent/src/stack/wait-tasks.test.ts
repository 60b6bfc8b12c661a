import { describe, expect, it } from "vitest";
import type { EngineService } from "./engine";
import { countsSayDone, describeProgress } from "./wait-tasks";

describe("describeProgress", () => {
  it.each([
    [{ state: "running", running: 2, desired: 2, error: "" }, "service s: 2/2 running"],
    [{ state: "complete", running: 1, desired: 1, error: "" }, "service s: 1/1 complete"],
    [{ state: "pending", running: 0, desired: 1, error: "" }, "service s: 0/1 running"],
    [
      { state: "pending", running: 0, desired: 1, error: "no suitable node" },
      "service s: 0/1 running (no suitable node)",
    ],
    [
      { state: "failed", running: 0, desired: 1, error: "No such image: nope:latest" },
      "service s: 0/1 running, failed: No such image: nope:latest",
    ],
  ] as const)("%j → %s", (progress, line) => {
    expect(describeProgress("s", progress)).toBe(line);
  });
});

describe("countsSayDone", () => {
  const svc = (mode: object, status?: object) =>
    ({
      ID: "s",
      Version: { Index: 1 },
      CreatedAt: "",
      UpdatedAt: "",
      Spec: { Name: "s", TaskTemplate: {}, Mode: mode },
      ...(status ? { ServiceStatus: status } : {}),
    }) as EngineService;
  const replicated = { Replicated: { Replicas: 2 } };
  const job = { ReplicatedJob: { TotalCompletions: 1 } };

  it.each([
    ["no service", undefined, true],
    ["no counts yet", svc(replicated), true],
    ["no desired count", svc(replicated, { RunningTasks: 0 }), true],
    ["replicated, short", svc(replicated, { RunningTasks: 1, DesiredTasks: 2 }), false],
    ["replicated, all running", svc(replicated, { RunningTasks: 2, DesiredTasks: 2 }), true],
    ["global on no node yet", svc({ Global: {} }, { RunningTasks: 0, DesiredTasks: 0 }), true],
    [
      "job, running but not complete",
      svc(job, { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 }),
      false,
    ],
    ["job, complete", svc(job, { RunningTasks: 0, DesiredTasks: 1, CompletedTasks: 1 }), true],
  ])("%s → %s", (_what, service, done) => {
    expect(countsSayDone(service)).toBe(done);
  });
});
