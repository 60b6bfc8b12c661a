import { describe, expect, it } from "vitest";
import { updateTargets } from "./agent-updates";
import type { AgentRecord } from "./registry";

const agent = (name: string, agentVersion: string, online = true, vmid?: number): AgentRecord =>
  ({
    agentId: `id-${name}`,
    guest: name,
    name,
    hostname: `${name}.lan`,
    vmid,
    agentVersion,
    online,
  }) as AgentRecord;

const fleet = [
  agent("web", "0.1.0"),
  agent("db", "0.0.9", true, 1002),
  agent("gpu", "0.0.8"),
  agent("old-offline", "0.0.1", false),
];
const names = (r: { targets: AgentRecord[] }) => r.targets.map((a) => a.name);

describe("updateTargets", () => {
  it("with no names: every online agent of another version, by name; the others counted as current", () => {
    const r = updateTargets(fleet, [], "0.1.0");
    expect([names(r), r.current]).toEqual([["db", "gpu"], 1]);
  });

  it.each([
    [["gpu"], ["gpu"]],
    [
      ["1002", "gpu.lan"],
      ["db", "gpu"],
    ],
    [["id-web", "web"], ["web"]],
    [["old-offline"], ["old-offline"]],
  ])("named %j: those agents, whatever their version or state (%j)", (named, want) => {
    expect(names(updateTargets(fleet, named, "0.1.0"))).toEqual(want);
  });

  it("names every unknown agent in one error, with the agents there are", () => {
    expect(() => updateTargets(fleet, ["nope", "db", "x"], "0.1.0")).toThrow(
      "no agent is called nope, x (agents: db, gpu, old-offline, web)",
    );
  });
});
