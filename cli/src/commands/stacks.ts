import { ListStacksResponseCodec, type StackSummary, timestampDate } from "@phoenix/proto";
import type { CommandContext } from "../context";
import { formatAge, stackStatus } from "../output";

/** Options of `phoenix stacks ls`. */
export interface StacksFilter {
  env?: string;
  stack?: string;
}

/** The deployments `--env` and `--stack` keep (both when both are given). */
export function filterStacks<T extends Pick<StackSummary, "env" | "stack">>(
  stacks: readonly T[],
  filter: StacksFilter,
): T[] {
  return stacks.filter(
    (s) =>
      (filter.env === undefined || s.env === filter.env) &&
      (filter.stack === undefined || s.stack === filter.stack),
  );
}

/** "No stack environments deployed" with what the filter asked for. */
export function noStacksLine(filter: StacksFilter): string {
  const which = [
    ...(filter.stack !== undefined ? [`of stack ${filter.stack}`] : []),
    ...(filter.env !== undefined ? [`in environment ${filter.env}`] : []),
  ];
  return `No stack environments deployed${which.length > 0 ? ` ${which.join(" ")}` : ""}.`;
}

/** `phoenix stacks ls [--env <env>] [--stack <stack>]` */
export async function list(ctx: CommandContext, opts: StacksFilter = {}): Promise<number> {
  const { out } = ctx;
  const res = await ctx.client().listStacks({}, { timeoutMs: ctx.connection().timeoutMs });
  res.stacks = filterStacks(res.stacks, opts);
  if (out.json) {
    out.printJson(ListStacksResponseCodec.toJson(res));
    return 0;
  }
  if (res.stacks.length === 0) {
    out.line(noStacksLine(opts));
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
