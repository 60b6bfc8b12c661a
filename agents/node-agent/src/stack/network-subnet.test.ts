import { describe, expect, it } from "vitest";
import type { EngineNetwork } from "./engine";
import { subnetChange } from "./network-subnet";

const spec = (subnet?: string) => ({
  Name: "phoenix_env_production",
  ...(subnet ? { IPAM: { Driver: "default", Config: [{ Subnet: subnet }] } } : {}),
});
const network = (...subnets: string[]): EngineNetwork => ({
  Id: "n1",
  Name: "phoenix_env_production",
  IPAM: { Config: subnets.map((Subnet) => ({ Subnet })) },
});

describe("subnetChange", () => {
  it.each<[string, ReturnType<typeof spec>, EngineNetwork | undefined, string | undefined]>([
    ["nothing when no subnet is asked for", spec(), network("10.0.3.0/24"), undefined],
    ["nothing when the network has it", spec("10.42.0.0/20"), network("10.42.0.0/20"), undefined],
    [
      "the subnet it has and the one asked for",
      spec("10.42.0.0/20"),
      network("10.0.3.0/24"),
      "has subnet 10.0.3.0/24, not 10.42.0.0/20; Docker cannot change a network in place: remove every stack that uses it, then the network (docker network rm phoenix_env_production), and the next deploy creates it with the new subnet",
    ],
    [
      "a network that reports none",
      spec("10.42.0.0/20"),
      { Id: "n1", Name: "phoenix_env_production", IPAM: null },
      "has subnet (none reported), not 10.42.0.0/20; Docker cannot change a network in place: remove every stack that uses it, then the network (docker network rm phoenix_env_production), and the next deploy creates it with the new subnet",
    ],
  ])("%s", (_name, wanted, current, line) => {
    expect(subnetChange(wanted, current)).toBe(line);
  });
});
