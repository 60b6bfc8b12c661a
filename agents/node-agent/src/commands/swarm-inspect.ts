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
  const key = (n: (typeof nodes)[number]) => n.Description?.Hostname ?? n.ID;
  nodes.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { clusterId: swarm.ID, nodes: nodes.map(toSwarmNode) };
}
