import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  type MessageInitShape,
  NodeRole,
  type SwarmJoinCommand,
  type SwarmJoinResultSchema,
} from "@phoenix/proto";
import { dockerCall, engineInfo, localNodeState } from "../docker";
import type { EngineInfo } from "../engine-types";
import type { CommandContext } from "./context";
import { swarmStateConflict } from "./swarm-init";

/** "host" or "host:port" with Docker's default swarm port added. */
export function withSwarmPort(addr: string): string {
  if (/^\[.*\]:\d+$/.test(addr) || /^[^:]+:\d+$/.test(addr)) return addr;
  return `${addr}:2377`;
}

/** True when this engine is in the swarm that one of `remoteAddrs` manages. */
export function inSameSwarm(info: EngineInfo, remoteAddrs: readonly string[]): boolean {
  const known = new Set((info.Swarm?.RemoteManagers ?? []).map((m) => withSwarmPort(m.Addr)));
  return remoteAddrs.some((a) => known.has(withSwarmPort(a)));
}

/**
 * `docker swarm join`. Already in that swarm: nothing is done and already=true. A join that
 * never finished (state "pending") is abandoned first. The token is never logged or echoed.
 */
export async function swarmJoin(
  cmd: SwarmJoinCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof SwarmJoinResultSchema>> {
  if (!cmd.joinToken) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "join_token is empty");
  if (cmd.remoteAddrs.length === 0) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      "remote_addrs is empty: give at least one manager address",
    );
  }
  const secrets = [cmd.joinToken];
  const docker = await ctx.docker();
  const before = await engineInfo(docker, ctx.signal);
  const state = localNodeState(before);
  if (state === "active") {
    if (inSameSwarm(before, cmd.remoteAddrs)) return { nodeId: before.Swarm?.NodeID ?? "", already: true };
    const managers = (before.Swarm?.RemoteManagers ?? []).map((m) => m.Addr).join(", ");
    throw new PhoenixError(
      ErrorCode.CONFLICT,
      `this guest is already in another swarm (managers ${managers || "unknown"}); leave it before joining ${cmd.remoteAddrs.join(", ")}`,
    );
  }
  const conflict = swarmStateConflict(before);
  if (conflict) throw new PhoenixError(ErrorCode.CONFLICT, conflict);
  if (state === "pending") {
    ctx.log.info("abandoning an unfinished swarm join before joining again");
    await dockerCall("swarm leave", () => docker.swarmLeave({ force: true, abortSignal: ctx.signal }));
  }

  const body: Record<string, unknown> = {
    ListenAddr: cmd.listenAddr || "0.0.0.0:2377",
    RemoteAddrs: cmd.remoteAddrs.map(withSwarmPort),
    JoinToken: cmd.joinToken,
    abortSignal: ctx.signal,
  };
  if (cmd.advertiseAddr) body.AdvertiseAddr = cmd.advertiseAddr;
  await dockerCall("swarm join", () => docker.swarmJoin(body), secrets);

  const after = await engineInfo(docker, ctx.signal);
  const nodeId = after.Swarm?.NodeID ?? "";
  const manager = after.Swarm?.ControlAvailable === true;
  if (cmd.role === NodeRole.MANAGER && !manager) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `joined as a worker (node ${nodeId}) but role manager was asked: the join token is a worker token`,
    );
  }
  if (cmd.role === NodeRole.WORKER && manager) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `joined as a manager (node ${nodeId}) but role worker was asked: the join token is a manager token`,
    );
  }
  return { nodeId, already: false };
}
