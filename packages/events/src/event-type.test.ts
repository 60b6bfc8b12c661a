import { PhoenixError } from "@phoenix/errors";
import { type Event, EventSchema } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { checkSubjectParts, defaultStreamName, eventSubject, eventType } from "./event-type";

const payload = (c: string) => ({ case: c, value: {} }) as unknown as Event["data"];

describe("eventType", () => {
  it.each([
    ["agentConnected", "agent.connected"],
    ["agentDisconnected", "agent.disconnected"],
    ["agentOffline", "agent.offline"],
    ["inventoryChanged", "inventory.changed"],
    ["swarmInitialized", "swarm.initialized"],
    ["nodeJoined", "node.joined"],
    ["nodeRoleChanged", "node.role_changed"],
    ["nodeLabelsChanged", "node.labels_changed"],
    ["nodeAvailabilityChanged", "node.availability_changed"],
    ["stackDeployed", "stack.deployed"],
    ["stackRemoved", "stack.removed"],
    ["stackFailed", "stack.failed"],
    ["driftFound", "drift.found"],
    ["syncStarted", "sync.started"],
    ["syncFinished", "sync.finished"],
  ])("%s → %s", (c, type) => {
    expect(eventType(payload(c))).toBe(type);
  });

  it("matches the proto field name of every payload (kind_action → kind.action)", () => {
    const fields = EventSchema.oneofs.find((o) => o.name === "data")!.fields;
    expect(fields.length).toBeGreaterThan(10);
    for (const f of fields) {
      expect(eventType(payload(f.localName))).toBe(f.name.replace("_", "."));
    }
  });

  it("refuses an empty payload", () => {
    expect(() => eventType({ case: undefined })).toThrow(PhoenixError);
  });
});

describe("subjects and streams", () => {
  it.each([
    ["phoenix", "homelab", "node.labels_changed", "phoenix.homelab.node.labels_changed"],
    ["org.ops", "dc-1", "agent.connected", "org.ops.dc-1.agent.connected"],
  ])("eventSubject(%s, %s, %s) = %s", (prefix, cluster, type, subject) => {
    expect(eventSubject(prefix, cluster, type)).toBe(subject);
  });

  it.each([
    ["homelab", "PHOENIX_HOMELAB"],
    ["dc-1", "PHOENIX_DC-1"],
    ["my lab.2", "PHOENIX_MY_LAB_2"],
  ])("defaultStreamName(%s) = %s", (cluster, name) => {
    expect(defaultStreamName(cluster)).toBe(name);
  });

  it.each([
    ["phoenix", "homelab", "PHOENIX_HOMELAB", null],
    ["phoenix", "home.lab", "S", /cluster name "home.lab"/],
    ["phoenix", "lab*", "S", /cluster name "lab\*"/],
    ["phoenix.", "lab", "S", /subject prefix/],
    ["phoenix", "lab", "A.B", /stream name/],
    ["a b", "c>", "S", /2 problems/],
  ])("checkSubjectParts(%s, %s, %s)", (prefix, cluster, stream, error) => {
    const run = () => checkSubjectParts(prefix, cluster, stream);
    if (error === null) expect(run).not.toThrow();
    else expect(run).toThrow(error);
  });
});
