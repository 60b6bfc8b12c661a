import type { EngineNetwork, EngineNode, EngineServiceSpec } from "./engine";
import { pushTo } from "./multimap";

/**
 * How many addresses a Swarm overlay network needs, against what its subnet holds. Swarm gives
 * one address of the network to each task attached to it (when the task is created, before it is
 * scheduled, so a task that cannot be placed holds one too), one to each service in `vip` endpoint
 * mode (its virtual IP), and one to each node where a task of the network runs (the node's load
 * balancer endpoint, `lb-<network>`). A subnet of prefix p holds 2^(32-p) - 3 of them (network,
 * broadcast and gateway addresses aside). Past that, tasks stay in state "new" with no error.
 */
export interface AddressUse {
  tasks: number;
  vips: number;
  /** Nodes that may run a task of the network (at most one load balancer address each). */
  nodes: number;
  total: number;
}

/** Share of a subnet past which a plan says the network is nearly full. */
export const NEARLY_FULL = 0.8;

/** Addresses tasks can take in an IPv4 subnet (`10.0.1.0/24` → 253); undefined for IPv6 or a malformed one. */
export function usableAddresses(subnet: string): number | undefined {
  const m = /^\d{1,3}(?:\.\d{1,3}){3}\/(\d{1,2})$/.exec(subnet);
  if (!m) return undefined;
  const prefix = Number(m[1]);
  if (prefix > 30) return 0;
  return 2 ** (32 - prefix) - 3;
}

/** A node as `GET /nodes` returns it (the fields placement reads). */
type Node = EngineNode;

/** A constraint as nodeMatches reads it: the key lower-cased, the value lower-cased. */
interface Constraint {
  key: string;
  /** The label key after `node.labels.` or `engine.labels.`, as written. */
  label?: string;
  equal: boolean;
  value: string;
}

/** Reads `node.labels.gpu == true`; undefined for what has no operator. */
function parseConstraint(expr: string): Constraint | undefined {
  const op = expr.includes("==") ? "==" : expr.includes("!=") ? "!=" : undefined;
  if (!op) return undefined;
  const at = expr.indexOf(op);
  const written = expr.slice(0, at).trim();
  const key = written.toLowerCase();
  const prefix = ["node.labels.", "engine.labels."].find((p) => key.startsWith(p));
  return {
    key: prefix ?? key,
    ...(prefix ? { label: written.slice(prefix.length) } : {}),
    equal: op === "==",
    value: expr
      .slice(at + 2)
      .trim()
      .toLowerCase(),
  };
}

/** The constraint keys nodeValue reads (labels by their prefix). */
const KNOWN_KEYS = new Set([
  "node.id",
  "node.hostname",
  "node.role",
  "node.platform.os",
  "node.platform.arch",
  "node.labels.",
  "engine.labels.",
]);

/** Swarm's reading of a node for a constraint (manager/constraint), or undefined when unknown. */
function nodeValue(node: Node, c: Constraint): string | undefined {
  switch (c.key) {
    case "node.id":
      return node.ID;
    case "node.hostname":
      return node.Description?.Hostname ?? "";
    case "node.role":
      return node.Spec?.Role ?? "";
    case "node.platform.os":
      return node.Description?.Platform?.OS ?? "";
    case "node.platform.arch":
      return node.Description?.Platform?.Architecture ?? "";
    case "node.labels.":
      return node.Spec?.Labels?.[c.label ?? ""] ?? "";
    case "engine.labels.":
      return node.Description?.Engine?.Labels?.[c.label ?? ""] ?? "";
    default:
      return undefined;
  }
}

/**
 * Whether a node satisfies every placement constraint (`node.labels.gpu == true`), matched as
 * Swarm does: the value compared without regard to case. A constraint this cannot read
 * (`node.ip`, a malformed one) counts as satisfied, so the count errs on the side of more tasks.
 */
export function nodeMatches(node: Node, constraints: readonly string[]): boolean {
  return matchesParsed(
    node,
    constraints.flatMap((c) => parseConstraint(c) ?? []),
  );
}

function matchesParsed(node: Node, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) {
    const have = nodeValue(node, c);
    if (have !== undefined && (have.toLowerCase() === c.value) !== c.equal) return false;
  }
  return true;
}

/** Schedulable nodes, and those that satisfy a set of placement constraints (nodeMatches). */
export interface NodeIndex {
  readonly nodes: readonly Node[];
  matching(constraints: readonly string[]): readonly Node[];
}

/**
 * Indexes `nodes` (schedulable ones) for placement: each constraint set is matched once, from the
 * nodes that carry the label value (or role, hostname, ...) of its first `==`, so that a fleet of
 * a thousand nodes with a label per pinned stack is read once, not once per stack.
 */
export function indexNodes(nodes: readonly Node[]): NodeIndex {
  const labels = new Map<string, Node[]>();
  for (const n of nodes) {
    for (const [k, v] of Object.entries(n.Spec?.Labels ?? {}))
      pushTo(labels, `node\0${k}\0${v.toLowerCase()}`, n);
    for (const [k, v] of Object.entries(n.Description?.Engine?.Labels ?? {}))
      pushTo(labels, `engine\0${k}\0${v.toLowerCase()}`, n);
  }
  const fields = new Map<string, Map<string, Node[]>>();
  const withValue = (c: Constraint): readonly Node[] => {
    if (c.key === "node.labels." || c.key === "engine.labels.")
      return labels.get(`${c.key.split(".")[0]}\0${c.label}\0${c.value}`) ?? [];
    let field = fields.get(c.key);
    if (!field) {
      field = new Map();
      for (const n of nodes) pushTo(field, (nodeValue(n, c) ?? "").toLowerCase(), n);
      fields.set(c.key, field);
    }
    return field.get(c.value) ?? [];
  };
  const matched = new Map<string, readonly Node[]>();
  return {
    nodes,
    matching(constraints) {
      const key = constraints.join("\n");
      let found = matched.get(key);
      if (!found) {
        const parsed = constraints.flatMap((c) => parseConstraint(c) ?? []);
        // A label `==` an empty value also matches nodes without the label: read them all then.
        const first = parsed.find((c) => c.equal && c.value !== "" && KNOWN_KEYS.has(c.key));
        const candidates = first ? withValue(first) : nodes;
        found = parsed.length === 0 ? nodes : candidates.filter((n) => matchesParsed(n, parsed));
        matched.set(key, found);
      }
      return found;
    },
  };
}

/** Nodes that take new tasks: ready and active (not paused or drained). */
export function schedulableNodes(nodes: readonly Node[]): Node[] {
  return nodes.filter(
    (n) => (n.Status?.State ?? "ready") === "ready" && (n.Spec?.Availability ?? "active") === "active",
  );
}

interface ServiceShape {
  Mode?: EngineServiceSpec["Mode"];
  TaskTemplate?: {
    Networks?: readonly { Target?: string }[] | null;
    Placement?: { Constraints?: readonly string[] | null } | null;
  };
  /** Deprecated place of the networks, still read by Swarm. */
  Networks?: readonly { Target?: string }[] | null;
  EndpointSpec?: { Mode?: string } | null;
}

/** The networks a service names (ids in stored specs, names in rendered ones). */
function targetsOf(spec: ServiceShape): string[] {
  return [...(spec.TaskTemplate?.Networks ?? []), ...(spec.Networks ?? [])].flatMap((t) =>
    t.Target ? [t.Target] : [],
  );
}

/** Whether the service joins `network`. */
function joins(spec: ServiceShape, network: Pick<EngineNetwork, "Id" | "Name">): boolean {
  return targetsOf(spec).some((t) => t === network.Id || t === network.Name);
}

/** Services (specs) by each network id or name they name, for addressesNeeded over many networks. */
export function servicesByNetwork(services: readonly unknown[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const spec of services) {
    for (const t of new Set(targetsOf(spec as ServiceShape))) pushTo(out, t, spec);
  }
  return out;
}

/**
 * The addresses `services` (every service of the swarm that may join it, as specs) need on
 * `network`, scheduled over `nodes` (schedulable ones): replicas for replicated services, the
 * matching nodes for global ones, at most MaxConcurrent for replicated jobs.
 */
export function addressesNeeded(
  network: Pick<EngineNetwork, "Id" | "Name">,
  services: readonly unknown[],
  index: NodeIndex,
): AddressUse {
  const nodes = index.nodes;
  let tasks = 0;
  let vips = 0;
  const hosts = new Set<string>();
  let spread = 0;
  for (const raw of services) {
    const spec = raw as ServiceShape;
    if (!joins(spec, network)) continue;
    const matching = index.matching(spec.TaskTemplate?.Placement?.Constraints ?? []);
    const mode = spec.Mode ?? { Replicated: {} };
    const count = mode.Replicated
      ? (mode.Replicated.Replicas ?? 1)
      : mode.ReplicatedJob
        ? (mode.ReplicatedJob.MaxConcurrent ?? 1)
        : matching.length;
    tasks += count;
    if ((spec.EndpointSpec?.Mode ?? "vip") === "vip") vips++;
    if (count > 0 && hosts.size < nodes.length) for (const n of matching) hosts.add(n.ID);
    spread += Math.min(count, matching.length);
  }
  const onNodes = Math.min(hosts.size, spread);
  return { tasks, vips, nodes: onNodes, total: tasks + vips + onNodes };
}

/** Where an environment network's subnet is set. */
export function environmentSubnetSetting(env: string): string {
  return `etc/phoenix_cluster.json environment_networks.${env}.subnet`;
}

/** Where a stack network's subnet is set: its compose file (`name` as the file declares it). */
export function composeSubnetSetting(name: string): string {
  return `the stack's compose file (networks.${name}.ipam.config: - subnet: ...)`;
}

/**
 * What to say of a network whose subnet is full or nearly (NEARLY_FULL), or nothing; `raise`
 * says where a larger subnet is set (environmentSubnetSetting, composeSubnetSetting).
 * `subnet` is the network's (or the one it will be created with), or undefined when Swarm will
 * give it one of prefix `defaultPrefix`; `exists` when the network is already there.
 */
export function capacityNote(
  raise: string,
  range: { subnet?: string | undefined; exists: boolean; defaultPrefix: number },
  use: AddressUse,
): string | undefined {
  const { subnet, exists, defaultPrefix } = range;
  const usable = usableAddresses(subnet ?? `0.0.0.0/${defaultPrefix}`);
  if (usable === undefined || use.total <= usable * NEARLY_FULL) return undefined;
  const parts = [
    `${use.tasks} ${use.tasks === 1 ? "task" : "tasks"}`,
    ...(use.vips > 0 ? [`${use.vips} service ${use.vips === 1 ? "VIP" : "VIPs"}`] : []),
    `${use.nodes} node load ${use.nodes === 1 ? "balancer" : "balancers"}`,
  ];
  const where = subnet ? `its subnet ${subnet}` : `the /${defaultPrefix} Swarm gives it`;
  if (use.total > usable)
    return `needs ${use.total} addresses (${parts.join(", ")}) and ${where} has ${usable}: the tasks past that stay in state "new" and never start; give it a larger subnet in ${raise}${exists ? " (the network must then be recreated)" : ""}`;
  return `will use ${use.total} of the ${usable} addresses of ${where} (${parts.join(", ")}): ${usable - use.total} more fit; a larger subnet goes in ${raise}`;
}
