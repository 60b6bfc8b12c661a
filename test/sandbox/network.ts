import { IPTABLES_COMMENT, NAME_PREFIX, SLOT_COUNT, SUBNET_BASE } from "./constants";
import { runCommand } from "./run-command";

/** An IPv4 prefix as numbers. */
export interface Prefix {
  base: number;
  bits: number;
}

/** Parses `a.b.c.d/n` (or a bare address, taken as /32); undefined for anything else. */
export function parsePrefix(text: string): Prefix | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), bits };
}

/** True when two prefixes share at least one address. */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  const bits = Math.min(a.bits, b.bits);
  const size = 2 ** (32 - bits);
  return Math.floor(a.base / size) === Math.floor(b.base / size);
}

/** Dotted form of a 32-bit address. */
export function formatAddress(addr: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(addr / 2 ** shift) % 256).join(".");
}

/** The subnet, bridge address and interface names that belong to a slot. */
export function slotNetwork(slot: number): { subnet: string; bridgeIp: string; bridge: string } {
  const net = `${SUBNET_BASE[0]}.${SUBNET_BASE[1]}.${slot}`;
  return { subnet: `${net}.0/24`, bridgeIp: `${net}.1`, bridge: `${NAME_PREFIX}${slot}` };
}

/** Address of guest `index` (1-based) in a slot's subnet: `.2`, `.3`, ... */
export function guestAddress(slot: number, index: number): string {
  return `${SUBNET_BASE[0]}.${SUBNET_BASE[1]}.${slot}.${index + 1}`;
}

/** Host side of guest `index`'s veth pair in a slot. */
export function vethName(slot: number, index: number): string {
  return `${NAME_PREFIX}${slot}g${index}`;
}

/** Picks the slots whose /24 overlaps none of the given prefixes, in order. */
export function freeSlots(used: readonly Prefix[]): number[] {
  const free: number[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const mine = parsePrefix(slotNetwork(slot).subnet)!;
    if (!used.some((p) => p.bits > 0 && prefixesOverlap(p, mine))) free.push(slot);
  }
  return free;
}

interface IpRoute {
  dst?: string;
}
interface IpAddr {
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Every IPv4 prefix the host routes or holds an address in (all tables), except default routes. */
export async function usedPrefixes(): Promise<Prefix[]> {
  const [routes, addrs] = await Promise.all([
    runCommand("ip", ["-j", "-4", "route", "show", "table", "all"]),
    runCommand("ip", ["-j", "-4", "addr", "show"]),
  ]);
  const texts: string[] = [];
  for (const r of JSON.parse(routes.stdout || "[]") as IpRoute[]) {
    if (r.dst && r.dst !== "default") texts.push(r.dst);
  }
  for (const link of JSON.parse(addrs.stdout || "[]") as IpAddr[]) {
    for (const a of link.addr_info ?? []) {
      if (a.family === "inet" && a.local) texts.push(`${a.local}/${a.prefixlen ?? 32}`);
    }
  }
  return texts.map(parsePrefix).filter((p): p is Prefix => p !== undefined);
}

/**
 * Creates the bridge of the first free slot. The bridge name is the lock: the kernel refuses a second
 * bridge of the same name, so two sandboxes starting at once never share a slot.
 */
export async function claimSlot(onClaim: (slot: number) => void): Promise<number> {
  const slots = freeSlots(await usedPrefixes());
  for (const slot of slots) {
    const { bridge } = slotNetwork(slot);
    const r = await runCommand("ip", ["link", "add", "name", bridge, "type", "bridge"], { reject: false });
    if (r.code === 0) {
      onClaim(slot);
      return slot;
    }
    if (!/exists/i.test(r.stderr)) throw new Error(`ip link add ${bridge} failed: ${r.stderr.trim()}`);
  }
  throw new Error(`no free sandbox subnet among ${SUBNET_BASE.join(".")}.X.0/24 (all taken or routed)`);
}

/**
 * The iptables FORWARD rule that lets guests on the bridge talk to each other whatever the policy
 * (a host dockerd sets it to DROP, and bridged frames pass FORWARD when br_netfilter is on): all
 * protocols, so swarm's 2377/tcp, 7946/tcp+udp and VXLAN 4789/udp flow between guests. Each guest's
 * dockerd keeps its own iptables rules inside its namespace.
 */
export function forwardRule(bridge: string, sandbox: string): string[] {
  return [
    "-i",
    bridge,
    "-o",
    bridge,
    "-m",
    "comment",
    "--comment",
    `${IPTABLES_COMMENT} ${sandbox}`,
    "-j",
    "ACCEPT",
  ];
}

/** True when the host has a network interface of that name. */
export async function linkExists(name: string): Promise<boolean> {
  const r = await runCommand("ip", ["link", "show", "dev", name], { reject: false });
  return r.code === 0;
}

/** Names of the network namespaces under /var/run/netns. */
export async function listNetns(): Promise<string[]> {
  const r = await runCommand("ip", ["netns", "list"], { reject: false });
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n !== "");
}
