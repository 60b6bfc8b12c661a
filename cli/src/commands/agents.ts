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
    const updated = r.agents.length - failed;
    const summary = `${updated} agent(s) at ${r.version}${r.current > 0 ? `, ${r.current} already were` : ""}`;
    if (failed > 0) out.error(`phoenix: ${failed} agent(s) not updated; ${summary}`);
    else out.line(out.green(`${summary[0]!.toUpperCase()}${summary.slice(1)}.`));
  }
  return failed > 0 ? 1 : 0;
}
