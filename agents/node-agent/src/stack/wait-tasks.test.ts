import { describe, expect, it } from "vitest";
import type { EngineService } from "./engine";
import { countsKey, countsSayDone, describeProgress, MAX_POLL_MS, nextPollMs, POLL_MS } from "./wait-tasks";

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

describe("nextPollMs", () => {
  it.each([
    ["a count moved: back to the base", 250, true, POLL_MS],
    ["nothing moved: half as long again", 50, false, 75],
    ["and again", 75, false, 113],
    ["never past the longest", 200, false, MAX_POLL_MS],
    ["stays at the longest", MAX_POLL_MS, false, MAX_POLL_MS],
  ])("%s", (_name, last, moved, want) => {
    expect(nextPollMs(last, moved)).toBe(want);
  });

  it("a look schedule while one node sets up a network for 2 s, then tasks start", () => {
    // 2 s without a move, then three moves: the looks get sparse, then dense again.
    let delay = POLL_MS;
    let at = 0;
    const looks: number[] = [];
    while (at < 2_000) {
      looks.push(at);
      delay = nextPollMs(delay, false);
      at += delay;
    }
    expect(looks.length).toBeLessThan(15); // 40 at a fixed 50 ms
    expect(nextPollMs(delay, true)).toBe(POLL_MS);
  });
});

describe("countsKey", () => {
  const svc = (id: string, status?: EngineService["ServiceStatus"]) =>
    ({ ID: id, ...(status ? { ServiceStatus: status } : {}) }) as EngineService;
  const targets = [
    { id: "a", name: "ns_a" },
    { id: "b", name: "ns_b" },
  ];
  it.each([
    [
      "both counted",
      [svc("a", { RunningTasks: 1, DesiredTasks: 2 }), svc("b", { CompletedTasks: 1 })],
      "1/2/0,0/0/1",
    ],
    ["one gone", [svc("a", { RunningTasks: 2, DesiredTasks: 2 })], "2/2/0,-"],
    ["no counts", [svc("a"), svc("b")], "-,-"],
  ])("%s", (_name, services, want) => {
    expect(countsKey(targets, new Map(services.map((s) => [s.ID, s])))).toBe(want);
  });
});
