import type { MessageInitShape, SwarmLeaveCommand, SwarmLeaveResultSchema } from "@phoenix/proto";
import { dockerError, engineInfo, localNodeState } from "../docker";
import type { CommandContext } from "./context";

/** `docker swarm leave`; a guest in no swarm answers already=true. */
export async function swarmLeave(
  cmd: SwarmLeaveCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof SwarmLeaveResultSchema>> {
  const docker = await ctx.docker();
  if (localNodeState(await engineInfo(docker, ctx.signal)) === "inactive") return { already: true };
  try {
    await docker.swarmLeave({ force: cmd.force, abortSignal: ctx.signal });
  } catch (err) {
    if (localNodeState(await engineInfo(docker, ctx.signal)) === "inactive") return { already: true };
    throw dockerError(err, "swarm leave");
  }
  return { already: false };
}
