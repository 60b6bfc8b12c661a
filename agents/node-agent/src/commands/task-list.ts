import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { MessageInitShape, TaskListCommand, TaskListResultSchema } from "@phoenix/proto";
import { toTaskSummary } from "../convert";
import { type Dockerode, dockerCall } from "../docker";
import type { EngineNode, EngineService, EngineTask } from "../engine-types";
import type { CommandContext } from "./context";

/** Inspects a service by name or id; a missing one is NOT_FOUND naming it. */
export async function inspectService(
  docker: Dockerode,
  service: string,
  signal: AbortSignal,
): Promise<EngineService> {
  if (!service) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "service is empty");
  try {
    return await dockerCall<EngineService>(`service inspect ${service}`, () =>
      docker.getService(service).inspect({ abortSignal: signal }),
    );
  } catch (err) {
    if (err instanceof PhoenixError && err.code === ErrorCode.NOT_FOUND) {
      throw new PhoenixError(ErrorCode.NOT_FOUND, `no service named ${service}`, { place: { service } });
    }
    throw err;
  }
}

/** `docker service ps` (manager only): the service's tasks, newest first, with node hostnames. */
export async function taskList(
  cmd: TaskListCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof TaskListResultSchema>> {
  const docker = await ctx.docker();
  const svc = await inspectService(docker, cmd.service, ctx.signal);
  const [tasks, nodes] = await Promise.all([
    dockerCall<EngineTask[]>("task list", () =>
      docker.listTasks({ filters: { service: [svc.ID] }, abortSignal: ctx.signal } as object),
    ),
    dockerCall<EngineNode[]>("node list", () => docker.listNodes({ abortSignal: ctx.signal } as object)),
  ]);
  const hostnames = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? ""]));
  const when = (t: EngineTask) => Date.parse(t.UpdatedAt ?? t.CreatedAt ?? "") || 0;
  tasks.sort((a, b) => when(b) - when(a) || (b.Slot ?? 0) - (a.Slot ?? 0));
  return { tasks: tasks.map((t) => toTaskSummary(t, svc.Spec.Name, hostnames)) };
}
