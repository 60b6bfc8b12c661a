import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { MessageInitShape, ServiceScaleCommand, ServiceScaleResultSchema } from "@phoenix/proto";
import { dockerError } from "../docker";
import type { CommandContext } from "./context";
import { inspectService } from "./task-list";

const ATTEMPTS = 3;

/** Sets a replicated service's replica count (manager only); writes nothing when it already has it. */
export async function serviceScale(
  cmd: ServiceScaleCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof ServiceScaleResultSchema>> {
  const docker = await ctx.docker();
  for (let attempt = 1; ; attempt++) {
    const svc = await inspectService(docker, cmd.service, ctx.signal);
    const replicated = svc.Spec.Mode?.Replicated;
    if (!replicated) {
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `service ${svc.Spec.Name} is not a replicated service; only replicated services scale`,
        { place: { service: svc.Spec.Name } },
      );
    }
    const previous = replicated.Replicas ?? 0;
    if (previous === cmd.replicas) return { previous, replicas: previous };
    const spec = { ...svc.Spec, Mode: { Replicated: { Replicas: cmd.replicas } } };
    try {
      await docker
        .getService(svc.ID)
        .update({ _query: { version: svc.Version.Index }, _body: spec, abortSignal: ctx.signal });
      return { previous, replicas: cmd.replicas };
    } catch (err) {
      const e = dockerError(err, `service scale ${svc.Spec.Name}`);
      if (attempt < ATTEMPTS && /out of sequence/i.test(e.message)) continue;
      throw e;
    }
  }
}
