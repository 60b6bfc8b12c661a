import { create, InventorySchema } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { advertiseAddress } from "./advertise-addr";

const inv = (interfaces: { name: string; addresses: string[]; up?: boolean; virtual?: boolean }[]) =>
  create(InventorySchema, { interfaces: interfaces.map((i) => ({ up: true, virtual: false, ...i })) });

describe("advertiseAddress", () => {
  it.each([
    [
      "the address the agent dials from, when the guest has it",
      "10.213.1.11",
      inv([
        { name: "eth0", addresses: ["192.168.1.5/24"] },
        { name: "eth1", addresses: ["10.213.1.11/24", "fe80::1/64"] },
      ]),
      undefined,
      "10.213.1.11",
    ],
    [
      "behind NAT: the first physical IPv4",
      "203.0.113.9",
      inv([
        { name: "lo", addresses: ["127.0.0.1/8"] },
        { name: "docker0", addresses: ["172.17.0.1/16"], virtual: true },
        { name: "eth0", addresses: ["fe80::2/64", "10.0.0.7/24"] },
      ]),
      undefined,
      "10.0.0.7",
    ],
    [
      "the address it already advertises wins",
      "10.213.1.11",
      inv([{ name: "eth0", addresses: ["10.213.1.11/24"] }]),
      "10.213.1.99",
      "10.213.1.99",
    ],
    [
      "a down interface is skipped",
      "127.0.0.1",
      inv([
        { name: "eth0", addresses: ["10.0.0.7/24"], up: false },
        { name: "eth1", addresses: ["10.0.1.7/24"] },
      ]),
      undefined,
      "10.0.1.7",
    ],
    [
      "a veth-only guest (network namespace) uses its virtual interface",
      "127.0.0.1",
      inv([{ name: "eth0", addresses: ["10.213.1.12/24"], virtual: true }]),
      undefined,
      "10.213.1.12",
    ],
    [
      "nothing usable: Docker chooses",
      "127.0.0.1",
      inv([{ name: "lo", addresses: ["127.0.0.1/8"] }]),
      undefined,
      "",
    ],
  ])("%s", (_, peer, inventory, nodeAddr, want) => {
    const docker = nodeAddr ? ({ nodeAddr } as never) : undefined;
    expect(advertiseAddress({ peerAddress: peer, inventory, docker })).toBe(want);
  });
});
