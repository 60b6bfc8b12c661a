import {
  GetNodeResponseCodec,
  ListNodesResponseCodec,
  type Node,
  NodeAvailability,
  NodeRole,
  timestampDate,
} from "@phoenix/proto";
import type { CommandContext } from "../context";
import { formatAge } from "../output";

const roleName = (r: NodeRole) =>
  r === NodeRole.MANAGER ? "manager" : r === NodeRole.WORKER ? "worker" : "-";
const availabilityName = (a: NodeAvailability) =>
  a === NodeAvailability.UNSPECIFIED ? "-" : (NodeAvailability[a]?.toLowerCase() ?? "-");

/** Labels worth a column: the model's and gpu=true, not the hardware facts under phoenix.*. */
export function userLabels(labels: Record<string, string>, all = false): string {
  const keys = Object.keys(labels)
    .filter((k) => all || !k.startsWith("phoenix."))
    .sort();
  return keys.length === 0 ? "-" : keys.map((k) => `${k}=${labels[k]}`).join(",");
}

/** Role column: "manager" when converged, "worker→manager" while a change is pending. */
export function roleCell(node: Pick<Node, "role" | "desiredRole">): string {
  const actual = roleName(node.role);
  const desired = roleName(node.desiredRole);
  if (node.desiredRole === NodeRole.UNSPECIFIED || node.role === node.desiredRole) return actual;
  return `${actual}→${desired}`;
}

/** `phoenix nodes [ls]` */
export async function list(ctx: CommandContext, opts: { labels?: boolean }): Promise<number> {
  const { out } = ctx;
  const res = await ctx.client().listNodes({}, { timeoutMs: ctx.connection().timeoutMs });
  if (out.json) {
    out.printJson(ListNodesResponseCodec.toJson(res));
    return 0;
  }
  if (res.nodes.length === 0) {
    out.line("No guests: the model is empty and no agent has connected.");
    return 0;
  }
  out.table(
    ["NAME", "VMID", "KIND", "AGENT", "ROLE", "AVAILABILITY", "STATE", "GPU", "LABELS", "SERVICES"],
    res.nodes.map((n) => {
      const gpus = n.inventory?.gpu?.gpus ?? [];
      return [
        n.name,
        n.vmid === undefined ? "-" : String(n.vmid),
        n.kind || "-",
        n.online ? out.green("online") : out.red("offline"),
        roleCell(n),
        availabilityName(n.availability),
        n.state || "-",
        gpus.length > 0 ? `${gpus.length}x ${gpus[0]!.productName}` : "-",
        userLabels(n.labels, opts.labels),
        n.services.length > 0 ? n.services.join(",") : "-",
      ];
    }),
  );
  return 0;
}

/** `phoenix nodes inspect <node>` */
export async function inspect(ctx: CommandContext, node: string): Promise<number> {
  const { out } = ctx;
  const res = await ctx.client().getNode({ node }, { timeoutMs: ctx.connection().timeoutMs });
  if (out.json || !res.node) {
    out.printJson(GetNodeResponseCodec.toJson(res));
    return 0;
  }
  const n = res.node;
  const inv = n.inventory;
  const rows: [string, string][] = [
    ["Name", n.name],
    ["VMID", n.vmid === undefined ? "-" : String(n.vmid)],
    ["Hostname", n.hostname || "-"],
    ["Kind", n.kind || "-"],
    ["In model", n.inModel ? "yes" : "no (adopted)"],
    [
      "Agent",
      `${n.online ? "online" : "offline"}, version ${n.agentVersion || "-"}, last seen ${formatAge(n.lastSeen ? timestampDate(n.lastSeen) : undefined)}`,
    ],
    ["Role", `${roleName(n.role)} (desired ${roleName(n.desiredRole)})`],
    ["Node id", n.nodeId || "-"],
    ["Availability", availabilityName(n.availability)],
    ["State", n.state || "-"],
  ];
  if (inv) {
    rows.push([
      "OS",
      `${inv.host?.osDistro ?? ""} ${inv.host?.osRelease ?? ""}, kernel ${inv.host?.kernel ?? "-"}, ${inv.host?.arch ?? ""}`,
    ]);
    rows.push([
      "CPU",
      `${inv.cpu?.model ?? "-"} (${inv.cpu?.cores ?? 0} cores, ${inv.cpu?.threads ?? 0} threads)`,
    ]);
    rows.push(["Memory", `${(Number(inv.memory?.totalBytes ?? 0n) / 2 ** 30 || 0).toFixed(1)} GiB`]);
    const gpu = inv.gpu;
    if (gpu?.gpus.length) {
      for (const g of gpu.gpus)
        rows.push([
          `GPU ${g.index}`,
          `${g.productName}, ${g.memoryTotalMib} MiB, driver ${gpu.driverVersion}, CUDA ${gpu.cudaVersion}`,
        ]);
    } else if (gpu?.error) rows.push(["GPU", `error: ${gpu.error}`]);
    rows.push([
      "Docker",
      `${inv.docker?.engineVersion || "-"}${inv.docker?.error ? ` (${inv.docker.error})` : ""}`,
    ]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.line(`${out.bold(k.padEnd(w))}   ${v}`);
  out.line(out.bold("Labels"));
  for (const k of Object.keys(n.labels).sort()) {
    const want = n.desiredLabels[k];
    out.line(
      `  ${k}=${n.labels[k]}${want !== undefined && want !== n.labels[k] ? out.yellow(` (want ${want})`) : ""}`,
    );
  }
  for (const k of Object.keys(n.desiredLabels).sort()) {
    if (!(k in n.labels)) out.line(out.yellow(`  ${k}=${n.desiredLabels[k]} (pending)`));
  }
  if (n.services.length > 0) out.line(`${out.bold("Services")}  ${n.services.join(", ")}`);
  return 0;
}
