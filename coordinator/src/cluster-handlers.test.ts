import { create, ServiceSummarySchema } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { scaleNote, stackSummaries } from "./cluster-handlers";
import type { CoordinatorState } from "./state";

const environments: CoordinatorState["environments"] = {
  dev1_app: {
    stack: "app",
    env: "dev1",
    namespace: "dev1_app",
    deployedAt: "2026-12-01T10:00:00.000Z",
    specHash: "h",
    status: "deployed",
    services: ["dev1_app_web", "dev1_app_db"],
    source: "model",
  },
};
const service = (name: string, running: number) =>
  create(ServiceSummarySchema, { name, namespace: "dev1_app", running, desired: 1 });

describe("stackSummaries", () => {
  it.each<[string, ReturnType<typeof service>[] | undefined, string, number]>([
    [
      "deployed while the swarm runs all its services",
      [service("dev1_app_web", 1), service("dev1_app_db", 1)],
      "deployed",
      2,
    ],
    ["incomplete once a service was removed by hand", [service("dev1_app_web", 1)], "incomplete", 1],
    ["as recorded when the swarm cannot be read", undefined, "deployed", 0],
  ])("%s", (_name, services, status, running) => {
    const [s] = stackSummaries(environments, services, new Set());
    expect([s?.status, s?.running]).toEqual([status, running]);
  });

  it("keeps failed for a failed deploy", () => {
    const failed = { dev1_app: { ...environments.dev1_app!, status: "failed" as const } };
    expect(stackSummaries(failed, [], new Set())[0]?.status).toBe("failed");
  });
});

describe("scaleNote", () => {
  it("says how long a scale of a deployed stack's service lasts, and nothing for other services", () => {
    expect(scaleNote(environments, "dev1_app_web")).toBe(
      "dev1_app_web belongs to dev1_app, which Phoenix deployed: `phoenix plan` shows the new count as a difference, " +
        "and the next sync or `phoenix swarm deploy app --env dev1` sets its files' count again",
    );
    expect(scaleNote(environments, "portainer_agent")).toBeUndefined();
  });
});
