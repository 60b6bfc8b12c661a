import { describe, expect, it } from "vitest";
import { agentUpdateCommand, type FleetNotesInput, fleetNotes } from "./fleet-notes";
import { noteText } from "./plan-view";

const agent = (name: string, agentVersion: string, online = true) => ({ name, agentVersion, online });
const UPDATE = agentUpdateCommand(7480);

describe("fleetNotes", () => {
  it.each<[string, Omit<FleetNotesInput, "version">, string[]]>([
    ["agents of the coordinator's version", { agents: [agent("a", "0.2.0"), agent("b", "0.2.0")] }, []],
    [
      "an older and a newer agent, by name, with the update command",
      { agents: [agent("web", "0.1.0"), agent("db", "0.3.0")], updateCommand: UPDATE },
      [
        "db: its agent is 0.3.0, this coordinator 0.2.0: update it with phoenix agents update db (or on the guest: curl -fsSL http://<coordinator>:7480/agent/install.sh | sudo sh)",
        "web: its agent is 0.1.0, this coordinator 0.2.0: update it with phoenix agents update web (or on the guest: curl -fsSL http://<coordinator>:7480/agent/install.sh | sudo sh)",
      ],
    ],
    [
      "no install endpoint served",
      { agents: [agent("web", "0.1.0")] },
      ["web: its agent is 0.1.0, this coordinator 0.2.0: update it with phoenix agents update web"],
    ],
    [
      "an offline agent, or one that named no version",
      { agents: [agent("a", "0.1.0", false), agent("b", "")] },
      [],
    ],
    [
      "a clash first",
      {
        agents: [agent("web", "0.1.0")],
        clashes: [
          {
            agentId: "m-1",
            machines: [
              { hostname: "x", peer: "" },
              { hostname: "y", peer: "" },
            ],
            lastSwitch: 0,
          },
        ],
      },
      [
        expect.stringMatching(/^agent id m-1 is presented by 2 machines: x, y\. /),
        expect.stringMatching(/^web: /),
      ],
    ],
  ])("%s", (_what, input, lines) => {
    expect(fleetNotes({ ...input, version: "0.2.0" }).map(noteText)).toEqual(lines);
  });

  it("has no update command without an install endpoint", () => {
    expect(agentUpdateCommand(undefined)).toBeUndefined();
    expect(agentUpdateCommand(undefined, true)).toBeUndefined();
  });

  it("updates over HTTPS, trusting the guest's CA, when the coordinator has TLS", () => {
    expect(agentUpdateCommand(8443, true)).toBe(
      "curl -fsSL --cacert /etc/phoenix/ca.pem https://<coordinator>:8443/agent/install.sh | sudo sh",
    );
  });
});

describe("versions", () => {
  it("the agent of this checkout is the coordinator's version, so a fleet installed together has no notes", async () => {
    const { AGENT_VERSION } = await import("../../agents/node-agent/src/version");
    const { VERSION } = await import("./config");
    expect(AGENT_VERSION).toBe(VERSION);
  });
});
