import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { MessageInitShape, SwarmInitCommand, SwarmInitResultSchema } from "@phoenix/proto";
import { dockerCall, engineInfo, localNodeState } from "../docker";
import type { EngineInfo } from "../engine-types";
import type { CommandContext } from "./context";

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

/** Explains why a guest in `state` cannot start or join a swarm now, or undefined when it can. */
export function swarmStateConflict(info: EngineInfo): string | undefined {
  switch (localNodeState(info)) {
    case "locked":
      return "the swarm on this guest is locked; unlock it (docker swarm unlock) first";
    case "error":
      return `the swarm on this guest is in error: ${info.Swarm?.Error || "unknown error"}`;
    default:
      return undefined;
  }
}

/** `docker swarm init`; on a guest that already manages a swarm it does nothing and says already=true. */
export async function swarmInit(
  cmd: SwarmInitCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof SwarmInitResultSchema>> {
  const bad = cmd.defaultAddrPool.find((p) => !CIDR.test(p));
  if (bad !== undefined) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `default_addr_pool entry "${bad}" is not an IPv4 CIDR`,
    );
  }
  const docker = await ctx.docker();
  const current = await engineInfo(docker, ctx.signal);
  const already = alreadyManager(current);
  if (already) return already;
  const conflict = swarmStateConflict(current);
  if (conflict) throw new PhoenixError(ErrorCode.CONFLICT, conflict);

  const body: Record<string, unknown> = {
    ListenAddr: cmd.listenAddr || "0.0.0.0:2377",
    ForceNewCluster: false,
    abortSignal: ctx.signal,
  };
  if (cmd.advertiseAddr) body.AdvertiseAddr = cmd.advertiseAddr;
  if (cmd.defaultAddrPool.length > 0) body.DefaultAddrPool = [...cmd.defaultAddrPool];
  try {
    const nodeId = await dockerCall<string>("swarm init", () => docker.swarmInit(body));
    return { nodeId: String(nodeId), already: false };
  } catch (err) {
    // Another caller may have initialised the swarm between the check and the call.
    const after = alreadyManager(await engineInfo(docker, ctx.signal));
    if (after) return after;
    throw err;
  }
}

function alreadyManager(info: EngineInfo): MessageInitShape<typeof SwarmInitResultSchema> | undefined {
  if (localNodeState(info) !== "active") return undefined;
  if (info.Swarm?.ControlAvailable) return { nodeId: info.Swarm.NodeID ?? "", already: true };
  const managers = (info.Swarm?.RemoteManagers ?? []).map((m) => m.Addr).join(", ");
  throw new PhoenixError(
    ErrorCode.CONFLICT,
    `this guest is already a worker of a swarm (managers ${managers || "unknown"}); leave it before initialising a new one`,
  );
}
