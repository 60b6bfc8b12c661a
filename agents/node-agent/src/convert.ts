import {
  type MessageInitShape,
  NodeAvailability,
  NodeRole,
  type ServiceSummarySchema,
  type SwarmNodeSchema,
  type TaskSummarySchema,
  timestampFromDate,
} from "@phoenix/proto";
import type { EngineNode, EngineService, EngineTask } from "./engine-types";

/** Label `docker stack deploy` (and Phoenix) puts on every object of a stack namespace. */
export const NAMESPACE_LABEL = "com.docker.stack.namespace";

/** Docker's role word for a protocol role, or undefined for "keep". */
export function roleWord(role: NodeRole): string | undefined {
  return role === NodeRole.MANAGER ? "manager" : role === NodeRole.WORKER ? "worker" : undefined;
}

/** Docker's availability word for a protocol availability, or undefined for "keep". */
export function availabilityWord(a: NodeAvailability): string | undefined {
  switch (a) {
    case NodeAvailability.ACTIVE:
      return "active";
    case NodeAvailability.PAUSE:
      return "pause";
    case NodeAvailability.DRAIN:
      return "drain";
    default:
      return undefined;
  }
}

function roleOf(word?: string): NodeRole {
  return word === "manager" ? NodeRole.MANAGER : word === "worker" ? NodeRole.WORKER : NodeRole.UNSPECIFIED;
}

function availabilityOf(word?: string): NodeAvailability {
  return word === "active"
    ? NodeAvailability.ACTIVE
    : word === "pause"
      ? NodeAvailability.PAUSE
      : word === "drain"
        ? NodeAvailability.DRAIN
        : NodeAvailability.UNSPECIFIED;
}

function timestamp(iso?: string) {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : timestampFromDate(d);
}

/** A swarm node as the protocol describes it. */
export function toSwarmNode(n: EngineNode): MessageInitShape<typeof SwarmNodeSchema> {
  const statusAddr = n.Status?.Addr;
  const managerHost = n.ManagerStatus?.Addr?.replace(/:\d+$/, "");
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? "",
    role: roleOf(n.Spec.Role),
    availability: availabilityOf(n.Spec.Availability),
    state: n.Status?.State ?? "",
    addr: statusAddr && statusAddr !== "0.0.0.0" ? statusAddr : (managerHost ?? statusAddr ?? ""),
    labels: { ...(n.Spec.Labels ?? {}) },
    leader: n.ManagerStatus?.Leader === true,
    reachability: n.ManagerStatus?.Reachability ?? "",
    engineVersion: n.Description?.Engine?.EngineVersion ?? "",
    version: BigInt(n.Version?.Index ?? 0),
  };
}

function serviceMode(s: EngineService): string {
  const m = s.Spec.Mode ?? {};
  if (m.Global) return "global";
  if (m.ReplicatedJob) return "replicated-job";
  if (m.GlobalJob) return "global-job";
  return "replicated";
}

/** A service as `docker service ls` summarises it (image without its digest, as the CLI shows it). */
export function toServiceSummary(s: EngineService): MessageInitShape<typeof ServiceSummarySchema> {
  return {
    id: s.ID,
    name: s.Spec.Name,
    namespace: s.Spec.Labels?.[NAMESPACE_LABEL] ?? "",
    mode: serviceMode(s),
    running: s.ServiceStatus?.RunningTasks ?? 0,
    desired: s.ServiceStatus?.DesiredTasks ?? s.Spec.Mode?.Replicated?.Replicas ?? 0,
    image: (s.Spec.TaskTemplate?.ContainerSpec?.Image ?? "").replace(/@sha256:[0-9a-f]+$/, ""),
    ports: (s.Endpoint?.Ports ?? []).map(
      (p) => `${p.PublishedPort ?? ""}:${p.TargetPort ?? ""}/${p.Protocol ?? "tcp"}`,
    ),
    updatedAt: timestamp(s.UpdatedAt),
  };
}

/** A task as `docker service ps` shows it. */
export function toTaskSummary(
  t: EngineTask,
  serviceName: string,
  hostnames: ReadonlyMap<string, string>,
): MessageInitShape<typeof TaskSummarySchema> {
  return {
    id: t.ID,
    service: serviceName,
    slot: t.Slot ?? 0,
    nodeId: t.NodeID ?? "",
    nodeHostname: (t.NodeID && hostnames.get(t.NodeID)) || "",
    desiredState: t.DesiredState ?? "",
    state: t.Status?.State ?? "",
    message: t.Status?.Message ?? "",
    error: t.Status?.Err ?? "",
    containerId: t.Status?.ContainerStatus?.ContainerID ?? "",
    addresses: (t.NetworksAttachments ?? []).flatMap((a) => a.Addresses ?? []),
    updatedAt: timestamp(t.UpdatedAt ?? t.CreatedAt),
  };
}
