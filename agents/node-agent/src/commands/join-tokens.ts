import type { JoinTokensCommand, JoinTokensResultSchema, MessageInitShape } from "@phoenix/proto";
import { engineInfo, inspectSwarm } from "../docker";
import type { CommandContext } from "./context";

/** Reads the swarm's join tokens (manager only). The result holds secrets and is never logged. */
export async function joinTokens(
  _cmd: JoinTokensCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof JoinTokensResultSchema>> {
  const docker = await ctx.docker();
  const swarm = await inspectSwarm(docker, ctx.signal);
  const info = await engineInfo(docker, ctx.signal);
  const self = (info.Swarm?.RemoteManagers ?? []).find((m) => m.NodeID === info.Swarm?.NodeID);
  return {
    worker: swarm.JoinTokens.Worker,
    manager: swarm.JoinTokens.Manager,
    managerAddr: self?.Addr ?? (info.Swarm?.NodeAddr ? `${info.Swarm.NodeAddr}:2377` : ""),
  };
}
