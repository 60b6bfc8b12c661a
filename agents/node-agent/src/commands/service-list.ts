import type { MessageInitShape, ServiceListCommand, ServiceListResultSchema } from "@phoenix/proto";
import { NAMESPACE_LABEL, toServiceSummary } from "../convert";
import { dockerCall } from "../docker";
import type { EngineService } from "../engine-types";
import type { CommandContext } from "./context";

/** `docker service ls` (manager only), optionally only one stack namespace, sorted by name. */
export async function serviceList(
  cmd: ServiceListCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof ServiceListResultSchema>> {
  const docker = await ctx.docker();
  const filters = cmd.namespace ? { label: [`${NAMESPACE_LABEL}=${cmd.namespace}`] } : {};
  const services = await dockerCall<EngineService[]>("service list", () =>
    docker.listServices({ filters, status: true, abortSignal: ctx.signal } as object),
  );
  services.sort((a, b) => (a.Spec.Name < b.Spec.Name ? -1 : a.Spec.Name > b.Spec.Name ? 1 : 0));
  return { services: services.map(toServiceSummary) };
}
