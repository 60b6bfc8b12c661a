import { ErrorCode, type ErrorPlace, PhoenixError } from "@phoenix/errors";
import type { Engine } from "./engine";

// What Docker accepts in object names (a stack namespace prefixes every name).
const NAMESPACE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Checks a stack namespace and returns it; an empty or malformed one is INVALID_ARGUMENT. */
export function checkNamespace(ns: string): string {
  if (!NAMESPACE.test(ns)) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      ns ? `stack namespace "${ns}" is not a valid Docker name` : "the stack namespace is empty",
      { place: { stack: ns, path: "namespace" } },
    );
  }
  return ns;
}

/**
 * Hands back the reads a stack command begins with (already under way) once it is known that this
 * node can run the command. Only a swarm manager answers them, so when they succeed no further check is
 * needed (GET /info is one of the engine's slower answers); when they fail, the node is checked
 * and a node that is no manager fails with requireManager's NO_MANAGER error, while a manager's
 * read error is left to the returned promise.
 */
export async function readAsManager<T>(
  engine: Engine,
  place: ErrorPlace,
  reads: Promise<T>,
): Promise<{ reads: Promise<T> }> {
  await reads.then(
    () => undefined,
    () => requireManager(engine, place),
  );
  return { reads };
}

/** Fails with NO_MANAGER unless this node is an active swarm manager: only managers change services. */
export async function requireManager(engine: Engine, place: ErrorPlace): Promise<void> {
  const info = await engine.info();
  const state = info.Swarm?.LocalNodeState || "inactive";
  if (state !== "active") {
    throw new PhoenixError(ErrorCode.NO_MANAGER, `this node is not in a swarm (swarm state: ${state})`, {
      place,
    });
  }
  if (!info.Swarm?.ControlAvailable) {
    throw new PhoenixError(
      ErrorCode.NO_MANAGER,
      "this node is a swarm worker; stacks are applied by a manager",
      {
        place,
      },
    );
  }
}
