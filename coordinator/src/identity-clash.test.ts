import { describe, expect, it } from "vitest";
import { clashText, createClashTracker, type Machine, sameMachine } from "./identity-clash";

const a: Machine = { hostname: "gpu-1", vmid: 1002, peer: "10.0.0.12" };
const b: Machine = { hostname: "gpu-2", vmid: 1003, peer: "10.0.0.13" };
const c: Machine = { hostname: "gpu-3", vmid: 1004, peer: "10.0.0.14" };
const MIN = 60_000;

describe("sameMachine", () => {
  it.each<[string, Machine, Machine, boolean]>([
    ["same hostname and vmid, another address (DHCP)", a, { ...a, peer: "10.0.0.99" }, true],
    ["hostname in another case", a, { ...a, hostname: "GPU-1" }, true],
    ["vmid unknown on one side", a, { hostname: "gpu-1", peer: a.peer }, true],
    ["another hostname", a, { ...a, hostname: "gpu-9" }, false],
    ["same hostname, another vmid", a, { ...a, vmid: 1009 }, false],
  ])("%s: %s", (_what, x, y, same) => {
    expect(sameMachine(x, y)).toBe(same);
  });
});

describe("createClashTracker", () => {
  it.each<[string, [Machine, Machine, number][], (number | undefined)[], string[][]]>([
    [
      "a reconnect of the same machine is no switch",
      [
        [a, { ...a, peer: "x" }, 0],
        [a, a, MIN],
      ],
      [undefined, undefined],
      [],
    ],
    ["one switch is a rename, not a clash", [[a, b, 0]], [undefined], []],
    [
      "a second switch within the window confirms it, once",
      [
        [a, b, 0],
        [b, a, MIN],
        [a, b, 2 * MIN],
      ],
      [undefined, 2, undefined],
      [["gpu-1", "gpu-2"]],
    ],
    [
      "a third machine is reported again",
      [
        [a, b, 0],
        [b, a, MIN],
        [a, c, 2 * MIN],
      ],
      [undefined, 2, 3],
      [["gpu-1", "gpu-2", "gpu-3"]],
    ],
    [
      "switches further apart than the window are no clash",
      [
        [a, b, 0],
        [b, a, 11 * MIN],
      ],
      [undefined, undefined],
      [],
    ],
  ])("%s", (_what, events, confirmed, listed) => {
    const t = createClashTracker(10 * MIN);
    const seen = events.map(([before, after, at]) => t.replaced("m-1", before, after, at)?.machines.length);
    expect(seen).toEqual(confirmed);
    const last = events[events.length - 1]![2];
    expect(t.list(last).map((x) => x.machines.map((m) => m.hostname))).toEqual(listed);
  });

  it("forgets a clash a window after its last switch, and reports it again when it comes back", () => {
    const t = createClashTracker(10 * MIN);
    t.replaced("m-1", a, b, 0);
    expect(t.replaced("m-1", b, a, MIN)).toBeDefined();
    expect(t.list(10 * MIN)).toHaveLength(1);
    expect(t.list(11 * MIN + 1)).toEqual([]);
    t.replaced("m-1", a, b, 20 * MIN);
    expect(t.replaced("m-1", b, a, 21 * MIN)?.lastSwitch).toBe(21 * MIN);
  });

  it("keeps agent ids apart", () => {
    const t = createClashTracker(10 * MIN);
    t.replaced("m-1", a, b, 0);
    t.replaced("m-2", b, a, MIN);
    expect(t.list(MIN)).toEqual([]);
  });
});

describe("clashText", () => {
  it("names the machines, the likely cause and the fix", () => {
    expect(
      clashText({ agentId: "4c1f", machines: [a, { hostname: "", peer: "10.0.0.13" }], lastSwitch: 0 }),
    ).toBe(
      "agent id 4c1f is presented by 2 machines: gpu-1 (vmid 1002, 10.0.0.12), (no hostname) (10.0.0.13). " +
        "Their sessions keep replacing each other, so only one is managed at a time. Clones of a template that " +
        "kept its /etc/machine-id? Empty it on each clone (truncate -s 0 /etc/machine-id, then reboot) and in the " +
        "template, or give each agent its own agentId",
    );
  });

  it.each([
    [0, "0 s"],
    [45_400, "45 s"],
    [119_000, "119 s"],
    [4 * 60_000 + 20_000, "4 min"],
  ])("shown %i ms after the last switch, says %s ago", (since, age) => {
    const c = { agentId: "4c1f", machines: [a, b], lastSwitch: 1_000_000 };
    expect(clashText(c, 1_000_000 + since)).toMatch(
      new RegExp(
        `^agent id 4c1f is presented by 2 machines \\(last switch between them ${age} ago\\): gpu-1 `,
      ),
    );
  });
});
