import {
  DeployStackResultCodec,
  fromErrorInfo,
  GetSwarmStatusResponseCodec,
  NodeAvailability,
  NodeRole,
  RemoveStackResponseCodec,
  SwarmInitResponseCodec,
  SwarmJoinResponseCodec,
} from "@phoenix/proto";
import type { CommandContext } from "../context";

const role = (r: NodeRole) => (r === NodeRole.MANAGER ? "manager" : r === NodeRole.WORKER ? "worker" : "-");

/** `phoenix swarm init` */
export async function init(ctx: CommandContext, opts: { node?: string }): Promise<number> {
  const res = await ctx
    .client()
    .swarmInit({ node: opts.node ?? "" }, { timeoutMs: ctx.connection().timeoutMs });
  if (ctx.out.json) ctx.out.printJson(SwarmInitResponseCodec.toJson(res));
  else
    ctx.out.line(
      res.already
        ? `Swarm already initialised; manager ${res.node} (${res.nodeId}).`
        : `Swarm initialised on ${res.node} (${res.nodeId}).`,
    );
  return 0;
}

/** `phoenix swarm join <vmid>` */
export async function join(ctx: CommandContext, node: string): Promise<number> {
  const res = await ctx.client().swarmJoin({ node }, { timeoutMs: ctx.connection().timeoutMs });
  if (ctx.out.json) ctx.out.printJson(SwarmJoinResponseCodec.toJson(res));
  else
    ctx.out.line(
      `${res.node} ${res.already ? "is already in the swarm" : "joined the swarm"} as ${role(res.role)} (${res.nodeId}).`,
    );
  return 0;
}

/** `phoenix swarm status` */
export async function status(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const res = await ctx.client().getSwarmStatus({}, { timeoutMs: ctx.connection().timeoutMs });
  if (out.json) {
    out.printJson(GetSwarmStatusResponseCodec.toJson(res));
    return 0;
  }
  if (!res.swarm?.initialized) {
    out.line("No swarm yet: run 'phoenix sync all' (or 'phoenix swarm init').");
    return 0;
  }
  out.line(`Swarm ${res.swarm.clusterId}: ${res.swarm.managers} manager(s), ${res.swarm.workers} worker(s)`);
  out.table(
    ["ID", "HOSTNAME", "ROLE", "STATUS", "AVAILABILITY", "MANAGER", "ENGINE"],
    res.nodes.map((n) => [
      n.id.slice(0, 12),
      n.hostname,
      role(n.role),
      n.state,
      NodeAvailability[n.availability]?.toLowerCase() ?? "-",
      n.leader ? "leader" : n.reachability || "-",
      n.engineVersion,
    ]),
  );
  return 0;
}

/** `phoenix swarm deploy <stack> --env <env>` */
export async function deploy(
  ctx: CommandContext,
  stack: string,
  opts: { env: string; rollback?: boolean; plan?: boolean },
): Promise<number> {
  const { out } = ctx;
  let ok = false;
  const req = { stack, env: opts.env, noRollback: opts.rollback === false, dryRun: opts.plan === true };
  for await (const msg of ctx.client().deployStack(req, { signal: ctx.signal })) {
    if (msg.msg.case === "progress") {
      if (!out.json) out.line(out.dim(msg.msg.value));
      continue;
    }
    if (msg.msg.case !== "result") continue;
    const r = msg.msg.value;
    ok = r.ok;
    if (out.json) {
      out.printJson(DeployStackResultCodec.toJson(r));
      continue;
    }
    for (const w of r.warnings) out.line(out.yellow(`warning: ${w}`));
    if (req.dryRun) {
      out.line(deployPlanText(r.namespace, r.differences));
      continue;
    }
    if (r.apply) {
      out.table(
        ["SERVICE", "ACTION", "STATE", "TASKS", "ERROR"],
        r.apply.services.map((s) => [
          s.name,
          s.action,
          s.state === "running" || s.state === "complete" ? out.green(s.state) : out.red(s.state),
          `${s.running}/${s.desired}`,
          s.error || "-",
        ]),
      );
    }
    if (r.ok) {
      const writes = r.apply?.dockerWrites ?? 0;
      out.line(
        out.green(
          `Deployed ${r.namespace}${writes === 0 ? " (no changes)" : ` (${writes} Docker write(s))`}.`,
        ),
      );
    } else {
      out.error(
        `phoenix: deploy of ${r.namespace} failed: ${r.error ? fromErrorInfo(r.error).describe() : "unknown reason"}`,
      );
      if (r.apply?.rolledBack) out.line(out.yellow("The previous specs were restored."));
    }
  }
  return ok ? 0 : 1;
}

/** What `phoenix swarm deploy --plan` prints after the warnings. */
export function deployPlanText(namespace: string, differences: readonly string[]): string {
  if (differences.length === 0) return `Nothing to deploy: the swarm runs ${namespace} as its files say.`;
  return [`A deploy of ${namespace} would change:`, ...differences.map((d) => `  ${d}`)].join("\n");
}

/** `phoenix swarm rm <stack> --env <env>` */
export async function remove(ctx: CommandContext, stack: string, opts: { env: string }): Promise<number> {
  const res = await ctx
    .client()
    .removeStack({ stack, env: opts.env }, { timeoutMs: ctx.connection().timeoutMs });
  if (ctx.out.json) ctx.out.printJson(RemoveStackResponseCodec.toJson(res));
  else
    ctx.out.line(
      `Removed ${res.namespace}: ${res.removed.length} object(s)${res.removed.length ? ` (${res.removed.join(", ")})` : ""}.`,
    );
  return 0;
}
