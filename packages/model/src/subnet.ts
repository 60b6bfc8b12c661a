/** An IPv4 subnet: its network address as a 32-bit number and its prefix length. */
export interface Subnet {
  address: number;
  prefix: number;
}

/** Prefix lengths Docker's IPAM gives an overlay network: /8 (16 million addresses) to /28 (14). */
export const SUBNET_PREFIX_MIN = 8;
export const SUBNET_PREFIX_MAX = 28;

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

/**
 * Parses "10.42.0.0/20", or says why it is not an IPv4 subnet Docker can give a network (host
 * bits set, a prefix out of range) in words that name the fix.
 */
export function parseSubnet(text: string): Subnet | { problem: string } {
  const m = CIDR.exec(text);
  if (!m) return { problem: `${JSON.stringify(text)} is not an IPv4 subnet like 10.42.0.0/20` };
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return { problem: `${text}: each part of the address is 0 to 255` };
  const prefix = Number(m[5]);
  if (prefix < SUBNET_PREFIX_MIN || prefix > SUBNET_PREFIX_MAX)
    return { problem: `${text}: the prefix must be /${SUBNET_PREFIX_MIN} to /${SUBNET_PREFIX_MAX}` };
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const network = subnetStart(address, prefix);
  if (network !== address)
    return { problem: `${text} is not a network address: did you mean ${dotted(network)}/${prefix}?` };
  return { address, prefix };
}

function subnetStart(address: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return address - (address % size);
}

/** True when two subnets share an address. */
export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  const wider = Math.min(a.prefix, b.prefix);
  return subnetStart(a.address, wider) === subnetStart(b.address, wider);
}
