import { describe, expect, it } from "vitest";
import type { EngineInfo } from "../engine-types";
import { inSameSwarm, withSwarmPort } from "./swarm-join";

describe("withSwarmPort", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1:2377"],
    ["10.0.0.1:4000", "10.0.0.1:4000"],
    ["mgr.lan", "mgr.lan:2377"],
    ["[fd00::1]:2377", "[fd00::1]:2377"],
  ])("%s → %s", (addr, want) => {
    expect(withSwarmPort(addr)).toBe(want);
  });
});

describe("inSameSwarm", () => {
  const info: EngineInfo = {
    Swarm: {
      LocalNodeState: "active",
      RemoteManagers: [
        { NodeID: "a", Addr: "10.213.0.2:2377" },
        { NodeID: "b", Addr: "10.213.0.3:2377" },
      ],
    },
  };
  it.each([
    [["10.213.0.2:2377"], true],
    [["10.213.0.3"], true],
    [["10.9.9.9:2377", "10.213.0.3:2377"], true],
    [["10.213.0.4:2377"], false],
    [["10.213.0.2:4000"], false],
  ])("managers %j → %s", (addrs, want) => {
    expect(inSameSwarm(info, addrs)).toBe(want);
  });

  it("a guest with no known managers is in no swarm we can name", () => {
    expect(inSameSwarm({ Swarm: { LocalNodeState: "active", RemoteManagers: null } }, ["10.0.0.1"])).toBe(
      false,
    );
  });
});
