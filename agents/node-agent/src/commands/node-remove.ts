import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  durationMs,
  type MessageInitShape,
  type NodeRemoveCommand,
  type NodeRemoveResultSchema,
} from "@phoenix/proto";
import { dockerCall, dockerError } from "../docker";
import type { EngineNode } from "../engine-types";
import { sleep } from "../stack/abort";
import type { CommandContext } from "./context";

/** How often a node that should go down is looked at again. */
const POLL_MS = 250;

/** What to do with a node entry: remove it now, wait for it to go down, or refuse. */
export type RemovalDecision = "remove" | "wait" | "refuse";

/** Decides a removal from the node's state: a down node goes, another only with force (or after waiting). */
export function removalDecision(
  state: string | undefined,
  o: { force: boolean; mayWait: boolean },
): RemovalDecision {
  if (o.force || state === "down") return "remove";
  return o.mayWait ? "wait" : "refuse";
}

/**
 * `docker node rm` on a manager. A node that is gone already answers already=true; a node that is
 * not down is refused (CONFLICT) unless forced, after waiting up to `wait_down` for it to go down.
 */
export async function nodeRemove(
  cmd: NodeRemoveCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof NodeRemoveResultSchema>> {
  if (!cmd.nodeId.trim()) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "node_id is empty");
  const docker = await ctx.docker();
  const node = docker.getNode(cmd.nodeId);
  const until = Date.now() + (cmd.waitDown ? durationMs(cmd.waitDown) : 0);
  let hostname = "";
  for (;;) {
    let current: EngineNode;
    try {
      current = await dockerCall<EngineNode>(`node inspect ${cmd.nodeId}`, () =>
        node.inspect({ abortSignal: ctx.signal }),
      );
    } catch (err) {
      if (err instanceof PhoenixError && err.code === ErrorCode.NOT_FOUND) return { already: true };
      throw err;
    }
    hostname = current.Description?.Hostname ?? "";
    const state = current.Status?.State;
    const decision = removalDecision(state, { force: cmd.force, mayWait: Date.now() < until });
    if (decision === "remove") break;
    if (decision === "refuse") {
      throw new PhoenixError(
        ErrorCode.CONFLICT,
        `node ${cmd.nodeId} (${hostname || "no hostname"}) is ${state ?? "in an unknown state"}, not down: it is still in use, so it is not removed without force`,
        { place: { node: hostname || cmd.nodeId } },
      );
    }
    ctx.log.debug({ nodeId: cmd.nodeId, state }, "waiting for the node to go down before removing it");
    await sleep(Math.min(POLL_MS, Math.max(0, until - Date.now())), ctx.signal, { node: cmd.nodeId });
  }
  try {
    await node.remove({ force: cmd.force, abortSignal: ctx.signal });
  } catch (err) {
    const e = dockerError(err, `node rm ${cmd.nodeId}`);
    if (e.code === ErrorCode.NOT_FOUND) return { already: true };
    throw e;
  }
  return { already: false, hostname };
}
