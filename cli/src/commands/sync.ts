import {
  fromErrorInfo,
  type PlanResponse,
  PlanResponseCodec,
  StepStatus,
  SyncResponseCodec,
} from "@phoenix/proto";
import type { CommandContext } from "../context";
import type { Output } from "../output";

function printPlan(out: Output, plan: PlanResponse): void {
  for (const w of plan.warnings) out.line(out.yellow(`warning: ${w}`));
  if (plan.steps.length === 0) {
    out.line(out.green("Nothing to do: the fleet matches the model."));
    return;
  }
  out.line(`${plan.steps.length} step(s):`);
  const kw = Math.max(...plan.steps.map((s) => s.kind.length));
  plan.steps.forEach((s, i) => {
    out.line(
      `  ${String(i + 1).padStart(String(plan.steps.length).length)}. ${s.kind.padEnd(kw)}  ${s.description}`,
    );
  });
}

/** `phoenix plan` */
export async function plan(ctx: CommandContext): Promise<number> {
  const res = await ctx.client().plan({}, { timeoutMs: ctx.connection().timeoutMs });
  if (ctx.out.json) ctx.out.printJson(PlanResponseCodec.toJson(res));
  else printPlan(ctx.out, res);
  return 0;
}

/** `phoenix sync all [--plan]` */
export async function syncAll(ctx: CommandContext, opts: { plan?: boolean }): Promise<number> {
  const { out } = ctx;
  if (opts.plan) return plan(ctx);
  const descriptions = new Map<string, string>();
  let ok = false;
  let sawSummary = false;
  for await (const msg of ctx.client().sync({ dryRun: false }, { signal: ctx.signal })) {
    if (out.json) {
      out.line(JSON.stringify(SyncResponseCodec.toJson(msg)));
    }
    switch (msg.msg.case) {
      case "plan":
        for (const s of msg.msg.value.steps) descriptions.set(s.id, s.description);
        if (!out.json) printPlan(out, msg.msg.value);
        break;
      case "step": {
        if (out.json) break;
        const u = msg.msg.value;
        const what = descriptions.get(u.stepId) ?? u.stepId;
        const took = u.durationMs ? out.dim(` (${(u.durationMs / 1000).toFixed(1)}s)`) : "";
        if (u.status === StepStatus.STARTED)
          out.line(`${out.dim("→")} ${what}${u.message ? out.dim(`: ${u.message}`) : ""}`);
        else if (u.status === StepStatus.DONE) out.line(`${out.green("✓")} ${what}${took}`);
        else if (u.status === StepStatus.FAILED) {
          const reason = u.error ? fromErrorInfo(u.error).describe() : u.message;
          out.line(`${out.red("✗")} ${what}: ${reason}${took}`);
        } else if (u.status === StepStatus.SKIPPED)
          out.line(`${out.dim("-")} ${what} ${out.dim("(skipped)")}`);
        break;
      }
      case "summary": {
        sawSummary = true;
        const s = msg.msg.value;
        ok = s.ok;
        if (out.json) break;
        if (s.ok) out.line(out.green(`Sync done: ${s.stepsDone}/${s.stepsTotal} step(s).`));
        else {
          out.line(out.red(`Sync failed after ${s.stepsDone}/${s.stepsTotal} step(s).`));
          if (s.error) out.error(`phoenix: ${fromErrorInfo(s.error).describe()}`);
          out.line("Fix the cause and run 'phoenix sync all' again: it continues from where the fleet is.");
        }
        break;
      }
    }
  }
  if (!sawSummary) {
    out.error(
      "phoenix: the sync stream ended without a summary; run 'phoenix plan' to see where the fleet is",
    );
    return 1;
  }
  return ok ? 0 : 1;
}
