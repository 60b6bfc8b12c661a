import { GetStatusResponseCodec, timestampDate } from "@phoenix/proto";
import type { CommandContext } from "../context";
import { formatAge, stackStatus } from "../output";
import { VERSION, versionWarning } from "../version";

/** `phoenix status` */
export async function status(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const res = await ctx.client().getStatus({}, { timeoutMs: ctx.connection().timeoutMs });
  if (out.json) {
    out.printJson(GetStatusResponseCodec.toJson(res));
    return 0;
  }
  const swarm = res.swarm;
  out.line(
    `${out.bold("Cluster")}      ${res.cluster || "-"}   (coordinator ${res.version}, model ${res.modelDir})`,
  );
  if (res.modelError)
    out.line(
      `${out.red("Model")}        invalid: ${res.modelError.message} (run 'phoenix plan' for every error)`,
    );
  out.line(
    `${out.bold("Swarm")}        ${
      swarm?.initialized
        ? `${swarm.managers} manager(s), ${swarm.workers} worker(s), leader ${swarm.leader || "-"}`
        : out.yellow("not initialised")
    }`,
  );
  out.line(
    `${out.bold("Agents")}       ${res.agentsOnline} online of ${res.agentsKnown} known, ${res.guests} guest(s) in the model`,
  );
  out.line(
    `${out.bold("Sync")}         ${res.pendingSteps === 0 ? out.green("converged") : out.yellow(`${res.pendingSteps} step(s) pending`)}, last sync ${formatAge(res.lastSync ? timestampDate(res.lastSync) : undefined)}`,
  );
  out.line(
    `${out.bold("Events")}       seq ${res.lastEventSeq}, NATS ${res.natsConnected ? out.green("connected") : out.dim("not connected")}${
      res.eventsDropped > 0n ? out.red(`, ${res.eventsDropped} dropped`) : ""
    }`,
  );
  const versions = versionWarning(VERSION, res.version);
  for (const w of versions ? [...res.warnings, versions] : res.warnings)
    out.line(`${out.yellow("Warning")}      ${w}`);
  if (res.stacks.length > 0) {
    out.line();
    out.table(
      ["STACK", "ENV", "NAMESPACE", "SERVICES", "TASKS", "STATUS", "DEPLOYED"],
      res.stacks.map((s) => [
        s.stack,
        s.env,
        s.namespace,
        String(s.services),
        `${s.running}/${s.desired}`,
        stackStatus(out, s.status),
        formatAge(s.deployedAt ? timestampDate(s.deployedAt) : undefined),
      ]),
    );
  }
  return 0;
}
