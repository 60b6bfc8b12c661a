import type { DockerState, Inventory } from "@phoenix/proto";

/** What choosing a guest's swarm address looks at. */
export interface AddressFacts {
  /** Address the agent's session comes from. */
  peerAddress: string;
  inventory: Inventory;
  docker?: DockerState | undefined;
}

const ipOf = (cidr: string) => cidr.split("/")[0] ?? "";
const isV4 = (ip: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);
const usable = (ip: string) =>
  ip !== "" && !ip.startsWith("127.") && ip !== "::1" && !ip.startsWith("169.254.") && !/^fe80:/i.test(ip);

/**
 * The address a guest advertises to the swarm: the address it already advertises; else the address its
 * agent reaches the coordinator from, when the guest really has it (no NAT in between); else its first
 * IPv4 on a physical, up interface. Empty lets Docker choose.
 */
export function advertiseAddress(f: AddressFacts): string {
  const current = f.docker?.nodeAddr ?? "";
  if (usable(current) && current !== "0.0.0.0") return current;
  const interfaces = f.inventory.interfaces;
  const own = new Set(interfaces.flatMap((i) => i.addresses.map(ipOf)));
  if (usable(f.peerAddress) && own.has(f.peerAddress)) return f.peerAddress;
  for (const virtual of [false, true]) {
    for (const i of interfaces) {
      if (!i.up || i.virtual !== virtual || /^(docker|br-|veth|lo$)/.test(i.name)) continue;
      const ip = i.addresses.map(ipOf).find((a) => isV4(a) && usable(a));
      if (ip) return ip;
    }
  }
  return "";
}
