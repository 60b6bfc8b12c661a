import { describe, expect, it } from "vitest";
import type { EngineService, EngineTask } from "./engine";
import { currentTasks, evaluateService, NOT_ALLOCATED, type ServiceProgress } from "./task-state";

const T0 = Date.parse("2026-01-01T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const template = { ContainerSpec: { Image: "app:2", Isolation: "default" }, ForceUpdate: 0 };
const oldTemplate = { ContainerSpec: { Image: "app:1", Isolation: "default" }, ForceUpdate: 0 };

function service(
  over: Partial<EngineService> = {},
  mode: EngineService["Spec"]["Mode"] = { Replicated: { Replicas: 2 } },
): EngineService {
  return {
    ID: "svc1",
    Version: { Index: 10 },
    CreatedAt: at(-100),
    UpdatedAt: at(0),
    // Docker reports Runtime on the service's template only.
    Spec: { Name: "dev1_app_web", TaskTemplate: { ...template, Runtime: "container" }, Mode: mode },
    ...over,
  };
}
let n = 0;
function task(created: number, state: string, over: Partial<EngineTask> = {}): EngineTask {
  return {
    ID: `t${n++}`,
    ServiceID: "svc1",
    CreatedAt: at(created),
    DesiredState: state === "running" || state === "starting" || state === "pending" ? "running" : "shutdown",
    Spec: template,
    Status: { State: state, Timestamp: at(created + 1) },
    ...over,
  };
}
const since = T0;

describe("evaluateService: a task left in state new", () => {
  const fresh = task(1, "new", { Status: { State: "new", Message: "created" } });
  it.each<[string, number, string]>([
    ["is not named in its first seconds", 4, ""],
    ["is named after 5 s: Swarm gave it no address", 6, NOT_ALLOCATED],
  ])("%s", (_name, seconds, error) => {
    const p = evaluateService(service(), [task(1, "running"), fresh], since, T0 + seconds * 1000);
    expect(p).toEqual({ state: "pending", running: 1, desired: 2, error });
  });
});

describe("evaluateService", () => {
  const cases: [string, EngineService, EngineTask[], Partial<ServiceProgress>][] = [
    [
      "all replicas of the new spec run",
      service(),
      [task(1, "running"), task(1, "running")],
      { state: "running", running: 2, desired: 2 },
    ],
    [
      "tasks of the old spec still running do not count",
      service(),
      [task(1, "running"), task(-50, "running", { Spec: oldTemplate })],
      { state: "pending", running: 1, desired: 2 },
    ],
    [
      "a rejected task of this deploy fails it with the task's error",
      service(),
      [
        task(1, "rejected", {
          Status: { State: "rejected", Err: "No such image: nope:latest", Timestamp: at(2) },
        }),
      ],
      { state: "failed", error: "No such image: nope:latest" },
    ],
    [
      "a failed task from before this deploy is ignored",
      service(),
      [
        task(-30, "failed", { Status: { State: "failed", Err: "old failure" } }),
        task(1, "running"),
        task(1, "running"),
      ],
      { state: "running", running: 2, error: "" },
    ],
    [
      "a pending task reports why it waits",
      service(),
      [
        task(1, "pending", {
          Status: {
            State: "pending",
            Err: "no suitable node (scheduling constraints not satisfied on 1 node)",
          },
        }),
      ],
      {
        state: "pending",
        running: 0,
        error: "no suitable node (scheduling constraints not satisfied on 1 node)",
      },
    ],
    [
      "a container that exits fails with Docker's message when there is no Err",
      service(),
      [task(1, "failed", { Status: { State: "failed", Message: "task: non-zero exit (1)" } })],
      { state: "failed", error: "task: non-zero exit (1)" },
    ],
    [
      "a paused update fails with the update message",
      service({
        UpdateStatus: {
          State: "paused",
          StartedAt: at(0.5),
          Message: "update paused due to failure or early termination of task x",
        },
      }),
      [],
      { state: "failed", error: "update paused due to failure or early termination of task x" },
    ],
    [
      "a paused update of an earlier deploy is ignored",
      service({ UpdateStatus: { State: "paused", StartedAt: at(-60), Message: "old" } }),
      [task(1, "running"), task(1, "running")],
      { state: "running" },
    ],
    [
      "zero replicas is running at once",
      service({}, { Replicated: { Replicas: 0 } }),
      [],
      { state: "running", running: 0, desired: 0 },
    ],
    [
      "a global service wants what Docker counts",
      service({ ServiceStatus: { DesiredTasks: 3 } }, { Global: {} }),
      [task(1, "running"), task(1, "running"), task(1, "running")],
      { state: "running", running: 3, desired: 3 },
    ],
    [
      "a job completes",
      service(
        { JobStatus: { JobIteration: { Index: 7 } } },
        { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 2 } },
      ),
      [
        task(1, "complete", { JobIteration: { Index: 7 } }),
        task(2, "complete", { JobIteration: { Index: 7 } }),
      ],
      { state: "complete", running: 2, desired: 2 },
    ],
    [
      "completions of an earlier job iteration do not count",
      service({ JobStatus: { JobIteration: { Index: 8 } } }, { ReplicatedJob: { TotalCompletions: 1 } }),
      [task(-20, "complete", { JobIteration: { Index: 7 } })],
      { state: "pending", running: 0, desired: 1 },
    ],
    [
      "tasks of another service are not looked at",
      service({}, { Replicated: { Replicas: 1 } }),
      [
        task(1, "rejected", { ServiceID: "other", Status: { State: "rejected", Err: "x" } }),
        task(1, "running"),
      ],
      { state: "running", running: 1 },
    ],
  ];
  it.each(cases)("%s", (_what, svc, tasks, expected) => {
    expect(evaluateService(svc, tasks, since, T0 + 60_000)).toMatchObject(expected);
  });

  it("gives a global service a moment before its zero wanted tasks count as done", () => {
    const fresh = service({ ServiceStatus: { DesiredTasks: 0 } }, { Global: {} });
    expect(evaluateService(fresh, [], since, T0 + 1_000).state).toBe("pending");
    expect(evaluateService(fresh, [], since, T0 + 10_000)).toMatchObject({ state: "running", desired: 0 });
    expect(evaluateService(fresh, [], Number.POSITIVE_INFINITY, T0).state).toBe("running");
  });

  it("only reports (never fails) when since is Infinity", () => {
    const rejected = task(1, "rejected", { Status: { State: "rejected", Err: "boom" } });
    expect(evaluateService(service(), [rejected], Number.POSITIVE_INFINITY).state).toBe("pending");
  });
});

describe("currentTasks", () => {
  it("matches tasks to the template whatever the key order, ignoring the service-only Runtime", () => {
    const t = task(1, "running", {
      Spec: { ForceUpdate: 0, ContainerSpec: { Isolation: "default", Image: "app:2" } },
    });
    expect(currentTasks(service(), [t])).toEqual([t]);
  });
});
