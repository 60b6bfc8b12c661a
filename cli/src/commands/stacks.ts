import { ListStacksResponseCodec, timestampDate } from "@phoenix/proto";
import type { CommandContext } from "../context";
import { formatAge, stackStatus } from "../output";

/** `phoenix stacks ls` */
export async function list(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const res = await ctx.client().listStacks({}, { timeoutMs: ctx.connection().timeoutMs });
  if (out.json) {
    out.printJson(ListStacksResponseCodec.toJson(res));
    return 0;
  }
  if (res.stacks.length === 0) {
    out.line("No stack environments deployed.");
    return 0;
  }
  out.table(
    ["NAMESPACE", "STACK", "ENV", "SERVICES", "TASKS", "STATUS", "PINNED", "DEPLOYED"],
    res.stacks.map((s) => [
      s.namespace,
      s.stack,
      s.env,
      String(s.services),
      `${s.running}/${s.desired}`,
      stackStatus(out, s.status),
      s.pinned ? "yes" : "-",
      formatAge(s.deployedAt ? timestampDate(s.deployedAt) : undefined),
    ]),
  );
  return 0;
}
