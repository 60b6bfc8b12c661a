import { create, EventSchema, type MessageInitShape, NodeRole, timestampFromDate } from "@phoenix/proto";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { updateSummary } from "./agents";
import { bashCompletion } from "./completion";
import { formatEvent, parseSince } from "./events";
import { roleCell, userLabels } from "./nodes";
import { parseScale } from "./services";
import { filterStacks, noStacksLine } from "./stacks";
import { deployPlanText } from "./swarm";

describe("parseScale", () => {
  it.each([
    [["web=3"], [{ service: "web", replicas: 3 }]],
    [
      ["dev1_app_web=0", "dev1_app_api=12"],
      [
        { service: "dev1_app_web", replicas: 0 },
        { service: "dev1_app_api", replicas: 12 },
      ],
    ],
  ])("%j", (args, want) => expect(parseScale(args)).toEqual(want));

  it.each([[["web"]], [["web=-1"]], [["=3"]], [["web=three"]], [[]], [["web=100000"]]])(
    "refuses %j",
    (args) => {
      expect(() => parseScale(args)).toThrow();
    },
  );
});

describe("parseSince", () => {
  const now = Date.parse("2026-11-22T12:00:00Z");
  it.each([
    ["120", { afterSeq: 119n }],
    ["2", { afterSeq: 1n }],
    ["1", { sinceTime: new Date(0) }],
    ["0", { sinceTime: new Date(0) }],
    ["10m", { sinceTime: new Date("2026-11-22T11:50:00Z") }],
    ["2h", { sinceTime: new Date("2026-11-22T10:00:00Z") }],
    ["2026-11-21T08:00:00Z", { sinceTime: new Date("2026-11-21T08:00:00Z") }],
  ])("%s", (text, want) => expect(parseSince(text, now)).toEqual(want));
  it("no --since is no filter", () => expect(parseSince(undefined)).toEqual({}));
  it.each(["yesterday", "10 minutes", "-5", "2026-13-45"])("refuses %s", (text) => {
    expect(() => parseSince(text, now)).toThrow(/--since/);
  });
});

describe("node cells", () => {
  it.each([
    [NodeRole.MANAGER, NodeRole.MANAGER, "manager"],
    [NodeRole.WORKER, NodeRole.MANAGER, "worker→manager"],
    [NodeRole.UNSPECIFIED, NodeRole.WORKER, "-→worker"],
    [NodeRole.WORKER, NodeRole.UNSPECIFIED, "worker"],
  ])("role %i desired %i is %s", (role, desiredRole, want) =>
    expect(roleCell({ role, desiredRole })).toBe(want),
  );

  it("shows the model's labels and hides hardware facts unless asked", () => {
    const labels = { "phoenix.gpu.count": "1", gpu: "true", zone: "rack1" };
    expect(userLabels(labels)).toBe("gpu=true,zone=rack1");
    expect(userLabels(labels, true)).toBe("gpu=true,phoenix.gpu.count=1,zone=rack1");
    expect(userLabels({})).toBe("-");
  });
});

describe("formatEvent", () => {
  const event = (
    seq: bigint,
    type: string,
    subject: string,
    data: MessageInitShape<typeof EventSchema>["data"],
  ) =>
    create(EventSchema, {
      seq,
      time: timestampFromDate(new Date("2026-11-22T12:00:00Z")),
      type,
      subject,
      data,
    });

  it("prints time, seq, type, subject and the payload's facts", () => {
    const ev = event(7n, "node.labels_changed", "gpu-worker-01", {
      case: "nodeLabelsChanged",
      value: { guest: "gpu-worker-01", nodeId: "n1", added: { gpu: "true" } },
    });
    expect(formatEvent(ev)).toBe(
      '2026-11-22T12:00:00.000Z  #7  node.labels_changed      gpu-worker-01  nodeId=n1 added={"gpu":"true"}',
    );
  });

  it("shows zero numbers and false flags, not empty texts and lists", () => {
    const ev = event(8n, "stack.deployed", "dev1_app", {
      case: "stackDeployed",
      value: { stack: "app", env: "dev1", namespace: "dev1_app", services: [], dockerWrites: 0 },
    });
    expect(formatEvent(ev)).toBe(
      "2026-11-22T12:00:00.000Z  #8  stack.deployed           dev1_app  stack=app env=dev1 namespace=dev1_app dockerWrites=0",
    );
  });
});

describe("bashCompletion", () => {
  it("completes subcommands and flags per command path", () => {
    const p = new Command("phoenix").option("--coordinator <a>");
    p.command("nodes").command("inspect <node>").option("--json");
    const script = bashCompletion(p);
    expect(script).toContain('"") words="nodes --coordinator --help"');
    expect(script).toContain('"nodes inspect") words="--json --help"');
    expect(script).toContain("complete -F _phoenix phoenix");
  });
});

describe("updateSummary", () => {
  it.each([
    [0, 0, 3, "Nothing to update: 3 online agent(s) already run 0.2.0."],
    [2, 0, 0, "2 agent(s) run 0.2.0 now."],
    [2, 0, 5, "2 agent(s) run 0.2.0 now; 5 already did."],
    [1, 1, 0, "1 agent(s) not updated, 1 run 0.2.0 now."],
    [0, 2, 1, "2 agent(s) not updated, 0 run 0.2.0 now; 1 already did."],
  ])("%i updated, %i failed, %i current", (updated, failed, current, want) => {
    expect(updateSummary(updated, failed, current, "0.2.0")).toBe(want);
  });
});

describe("deployPlanText", () => {
  it.each<[string[], string]>([
    [[], "Nothing to deploy: the swarm runs dev1_app as its files say."],
    [
      ["service dev1_app_web: missing", "service dev1_app_db: replicas changed outside Phoenix"],
      "A deploy of dev1_app would change:\n  service dev1_app_web: missing\n  service dev1_app_db: replicas changed outside Phoenix",
    ],
  ])("%j", (differences, text) => {
    expect(deployPlanText("dev1_app", differences)).toBe(text);
  });
});

describe("stacks ls filters", () => {
  const stacks = [
    { stack: "web", env: "dev1" },
    { stack: "db", env: "dev1" },
    { stack: "web", env: "production" },
  ];
  it.each<[object, string[]]>([
    [{}, ["dev1/web", "dev1/db", "production/web"]],
    [{ env: "dev1" }, ["dev1/web", "dev1/db"]],
    [{ stack: "web" }, ["dev1/web", "production/web"]],
    [{ env: "production", stack: "web" }, ["production/web"]],
    [{ env: "test" }, []],
  ])("%j", (filter, want) => {
    expect(filterStacks(stacks, filter).map((s) => `${s.env}/${s.stack}`)).toEqual(want);
  });

  it.each<[object, string]>([
    [{}, "No stack environments deployed."],
    [{ env: "test" }, "No stack environments deployed in environment test."],
    [{ env: "test", stack: "web" }, "No stack environments deployed of stack web in environment test."],
  ])("says what %j found none of", (filter, line) => {
    expect(noStacksLine(filter)).toBe(line);
  });
});
