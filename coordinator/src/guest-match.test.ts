import { describe, expect, it } from "vitest";
import { matchGuest } from "./guest-match";
import type { AdoptedGuest } from "./state";

const guests = [
  { name: "manager-1", vmid: 1001 },
  { name: "Worker-1", vmid: 1002 },
  { name: "gpu-1", vmid: 1003 },
];
const earlier: Record<string, AdoptedGuest> = {
  "a-old": { name: "stray", hostname: "stray", adoptedAt: "2025-01-01T00:00:00.000Z" },
};

describe("matchGuest", () => {
  it.each([
    [
      "vmid wins over hostname",
      { agentId: "x", hostname: "gpu-1", vmid: 1001 },
      "none",
      "manager-1",
      true,
      false,
    ],
    ["hostname when the vmid is unknown", { agentId: "x", hostname: "gpu-1" }, "none", "gpu-1", true, false],
    ["hostname ignores case", { agentId: "x", hostname: "worker-1" }, "none", "Worker-1", true, false],
    [
      "hostname when the vmid is not in the model",
      { agentId: "x", hostname: "gpu-1", vmid: 4242 },
      "none",
      "gpu-1",
      true,
      false,
    ],
    ["an earlier adoption is kept", { agentId: "a-old", hostname: "renamed" }, "none", "stray", false, true],
    ["not adopted under policy none", { agentId: "x", hostname: "newbie" }, "none", "", false, false],
    [
      "adopted by hostname under policy worker",
      { agentId: "x", hostname: "newbie" },
      "worker",
      "newbie",
      false,
      true,
    ],
    [
      "adopted name is made unique",
      { agentId: "x", hostname: "stray", vmid: 77 },
      "auto",
      "stray-77",
      false,
      true,
    ],
    [
      "odd hostnames become DNS labels",
      { agentId: "x", hostname: "My Box_2" },
      "auto",
      "my-box-2",
      false,
      true,
    ],
    [
      "no hostname: named after the agent id",
      { agentId: "abcdef123456", hostname: "" },
      "auto",
      "agent-abcdef12",
      false,
      true,
    ],
  ] as const)("%s", (_, id, policy, guest, inModel, adopted) => {
    const out = matchGuest(id, guests, earlier, policy);
    expect(out.match).toMatchObject({ guest, inModel, adopted });
    expect(out.adopt !== undefined).toBe(adopted && id.agentId !== "a-old");
  });

  it("records who a new adoption is", () => {
    const out = matchGuest({ agentId: "n1", hostname: "newbie", vmid: 2001 }, guests, {}, "auto");
    expect(out.adopt).toEqual({
      name: "newbie",
      hostname: "newbie",
      vmid: 2001,
      adoptedAt: expect.any(String),
    });
    expect(out.match.vmid).toBe(2001);
  });
});
