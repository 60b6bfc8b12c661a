import type { MessageInitShape, SwarmInspectCommand, SwarmInspectResultSchema } from "@phoenix/proto";
import { toSwarmNode } from "../convert";
import { dockerCall, inspectSwarm } from "../docker";
import type { EngineNode } from "../engine-types";
import type { CommandContext } from "./context";

/** Reads the swarm id and every node (manager only). */
export async function swarmInspect(
  _cmd: SwarmInspectCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof SwarmInspectResultSchema>> {
  const docker = await ctx.docker();
  const swarm = await inspectSwarm(docker, ctx.signal);
  const nodes = await dockerCall<EngineNode[]>("node list", () =>
    docker.listNodes({ abortSignal: ctx.signal } as object),
  );
  nodes.sort((a, b) => (a.Description?.Hostname ?? a.ID).localeCompare(b.Description?.Hostname ?? b.ID));
  return { clusterId: swarm.ID, nodes: nodes.map(toSwarmNode) };
}
