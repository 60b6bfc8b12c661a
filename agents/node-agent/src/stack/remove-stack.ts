import type { ErrorPlace } from "@phoenix/errors";
import type { MessageInitShape, StackRemoveCommand, StackRemoveResultSchema } from "@phoenix/proto";
import type Dockerode from "dockerode";
import { checkAborted } from "./abort";
import type { StackContext } from "./apply-stack";
import { eachBoundedInOrder, WRITE_CONCURRENCY } from "./bounded";
import { createEngine } from "./engine";
import { isStackNetwork } from "./labels";
import { checkNamespace, readAsManager } from "./preflight";
import { waitTasksGone } from "./wait-tasks";

/** What removeStack answers: the StackRemoveResult message as plain data. */
export type StackRemoveResultInit = MessageInitShape<typeof StackRemoveResultSchema>;

/** How long a remove waits for the tasks of removed services to go before removing networks. */
export const REMOVE_TASKS_TIMEOUT_MS = 120_000;

/**
 * Removes a stack like `docker stack rm`: every service (side by side, at most WRITE_CONCURRENCY at
 * a time), then (once their tasks are gone) every network, secret and config labelled with the namespace. Environment networks shared with other
 * stacks and objects of other namespaces are left alone. Removing an absent stack removes nothing.
 */
export async function removeStack(
  docker: Dockerode,
  cmd: StackRemoveCommand,
  ctx: StackContext,
): Promise<StackRemoveResultInit> {
  const ns = checkNamespace(cmd.namespace);
  const place: ErrorPlace = { stack: ns };
  const engine = createEngine(docker, ctx.signal, place);
  const { reads } = await readAsManager(engine, place, engine.listServices(ns));
  const services = await reads;
  const removed: string[] = [];

  await eachBoundedInOrder(
    services,
    WRITE_CONCURRENCY,
    async (svc) => {
      checkAborted(ctx.signal, place);
      await engine.removeService(svc.ID);
      ctx.progress(`service ${svc.Spec.Name}: removed`);
      return svc.Spec.Name;
    },
    (name) => removed.push(name),
  );
  const ids = new Set(services.map((s) => s.ID));
  if (ids.size > 0) ctx.progress(`stack ${ns}: waiting for the tasks of ${ids.size} service(s) to stop`);
  const gone = await waitTasksGone(engine, ids, {
    timeoutMs: REMOVE_TASKS_TIMEOUT_MS,
    signal: ctx.signal,
    place,
  });
  if (!gone) ctx.progress(`stack ${ns}: tasks still shutting down; removing networks anyway`);

  for (const kind of ["secret", "config"] as const) {
    for (const o of await engine.listObjects(kind, ns)) {
      checkAborted(ctx.signal, place);
      await engine.removeObject(kind, o.ID);
      removed.push(o.Spec.Name);
      ctx.progress(`${kind} ${o.Spec.Name}: removed`);
    }
  }
  const networks = (await engine.listNetworks()).filter((n) => isStackNetwork(n.Labels ?? undefined, ns));
  for (const n of networks) {
    checkAborted(ctx.signal, place);
    await engine.removeNetwork(n.Id);
    removed.push(n.Name);
    ctx.progress(`network ${n.Name}: removed`);
  }
  return { removed };
}
