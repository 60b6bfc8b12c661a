import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Model } from "@phoenix/model";
import { NodeRole, type NodeSchema, type SwarmNode, timestampFromMs, Virtualization } from "@phoenix/proto";
import { nodeOfAgent, type ObservedSwarm } from "./observe";
import type { AgentRecord } from "./registry";

/** What the scheduler wants for one guest. */
export interface DesiredNode {
  role: NodeRole;
  labels: Record<string, string>;
}

/** Everything a node listing combines. */
export interface NodeViewInput {
  model?: Model;
  agents: readonly AgentRecord[];
  swarm?: ObservedSwarm;
  /** Desired role and labels by guest name. */
  desired?: ReadonlyMap<string, DesiredNode>;
  /** Services with a running task, by swarm node id. */
  servicesByNode?: ReadonlyMap<string, string[]>;
}

type NodeInit = MessageInitShape<typeof NodeSchema>;

function kindOf(agent: AgentRecord | undefined): string {
  switch (agent?.inventory.host?.virtualization) {
    case Virtualization.LXC:
      return "lxc";
    case Virtualization.VM:
      return "vm";
    default:
      return "";
  }
}

function withAgent(node: NodeInit, agent: AgentRecord | undefined): void {
  if (!agent) return;
  node.hostname = agent.hostname;
  node.online = agent.online;
  node.agentVersion = agent.agentVersion;
  if (agent.lastSeen > 0) node.lastSeen = timestampFromMs(agent.lastSeen);
  node.inventory = agent.inventory;
  if (node.vmid === undefined && agent.vmid !== undefined) node.vmid = agent.vmid;
}

function withSwarm(
  node: NodeInit,
  sn: SwarmNode | undefined,
  services: ReadonlyMap<string, string[]> | undefined,
): void {
  if (!sn) return;
  node.nodeId = sn.id;
  node.role = sn.role;
  node.availability = sn.availability;
  node.state = sn.state;
  node.labels = { ...sn.labels };
  node.services = services?.get(sn.id) ?? [];
  if (!node.hostname) node.hostname = sn.hostname;
}

/** Joins model guests, agents and swarm nodes into one list of Nodes, ordered by name. */
export function buildNodes(input: NodeViewInput): NodeInit[] {
  const nodes = input.swarm?.nodes ?? [];
  const usedNodes = new Set<string>();
  const usedAgents = new Set<AgentRecord>();
  const out: NodeInit[] = [];
  const swarmNodeFor = (agent: AgentRecord | undefined, name: string) => {
    const sn =
      (agent && nodeOfAgent(agent, nodes)) ??
      nodes.find((n) => !usedNodes.has(n.id) && n.hostname.toLowerCase() === name.toLowerCase());
    if (sn) usedNodes.add(sn.id);
    return sn;
  };
  const desiredFor = (node: NodeInit, name: string) => {
    const d = input.desired?.get(name);
    node.desiredRole = d?.role ?? NodeRole.UNSPECIFIED;
    node.desiredLabels = d ? { ...d.labels } : {};
  };

  for (const g of input.model?.guests ?? []) {
    const agent = input.agents.find((a) => a.inModel && a.guest === g.name);
    if (agent) usedAgents.add(agent);
    const node: NodeInit = { name: g.name, vmid: g.vmid, kind: g.kind, inModel: true };
    withAgent(node, agent);
    withSwarm(node, swarmNodeFor(agent, g.name), input.servicesByNode);
    desiredFor(node, g.name);
    out.push(node);
  }
  for (const agent of input.agents) {
    if (usedAgents.has(agent)) continue;
    const node: NodeInit = { name: agent.name, kind: kindOf(agent), inModel: false };
    withAgent(node, agent);
    withSwarm(node, swarmNodeFor(agent, agent.hostname), input.servicesByNode);
    desiredFor(node, agent.name);
    out.push(node);
  }
  for (const sn of nodes) {
    if (usedNodes.has(sn.id)) continue;
    const node: NodeInit = { name: sn.hostname || sn.id, inModel: false, desiredRole: NodeRole.UNSPECIFIED };
    withSwarm(node, sn, input.servicesByNode);
    out.push(node);
  }
  return out.sort((a, b) => ((a.name ?? "") < (b.name ?? "") ? -1 : (a.name ?? "") > (b.name ?? "") ? 1 : 0));
}

/** Finds a node by guest name, hostname, vmid (as text) or swarm node id. */
export function findNode(nodes: readonly NodeInit[], key: string): NodeInit | undefined {
  const k = key.toLowerCase();
  return (
    nodes.find((n) => n.name?.toLowerCase() === k) ??
    nodes.find((n) => n.hostname?.toLowerCase() === k) ??
    nodes.find((n) => n.vmid !== undefined && String(n.vmid) === key) ??
    nodes.find((n) => n.nodeId === key)
  );
}
