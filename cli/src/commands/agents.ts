import { fromErrorInfo, UpdateAgentsResultCodec } from "@phoenix/proto";
import type { CommandContext } from "../context";

/** `phoenix agents update [guest...]` */
export async function update(
  ctx: CommandContext,
  guests: string[],
  _opts: { json?: boolean },
): Promise<number> {
  const { out } = ctx;
  let failed = 0;
  for await (const msg of ctx.client().updateAgents({ guests }, { signal: ctx.signal })) {
    if (msg.msg.case === "progress") {
      if (!out.json) out.line(out.dim(msg.msg.value));
      continue;
    }
    if (msg.msg.case !== "result") continue;
    const r = msg.msg.value;
    failed = r.agents.filter((a) => a.error).length;
    if (out.json) {
      out.printJson(UpdateAgentsResultCodec.toJson(r));
      continue;
    }
    if (r.agents.length > 0) {
      out.table(
        ["GUEST", "FROM", "TO", "TOOK", "ERROR"],
        r.agents.map((a) => [
          a.guest,
          a.fromVersion || "-",
          a.error ? "-" : out.green(a.toVersion),
          `${(a.durationMs / 1000).toFixed(1)} s`,
          a.error ? out.red(fromErrorInfo(a.error).describe()) : "-",
        ]),
      );
    }
    const summary = updateSummary(r.agents.length - failed, failed, r.current, r.version);
    if (failed > 0) out.error(`phoenix: ${summary}`);
    else out.line(out.green(summary));
  }
  return failed > 0 ? 1 : 0;
}

/** The last line of `phoenix agents update`. */
export function updateSummary(updated: number, failed: number, current: number, version: string): string {
  if (updated + failed === 0) return `Nothing to update: ${current} online agent(s) already run ${version}.`;
  const already = current > 0 ? `; ${current} already did` : "";
  if (failed > 0) return `${failed} agent(s) not updated, ${updated} run ${version} now${already}.`;
  return `${updated} agent(s) run ${version} now${already}.`;
}
