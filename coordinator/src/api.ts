import { PhoenixError } from "@phoenix/errors";
import type { CallContext, ClusterService, ServiceImpl } from "@phoenix/proto";
import type { ApiAuth } from "./api-auth";
import type { Logger } from "./logger";

type Impl = ServiceImpl<typeof ClusterService>;
type Method = keyof Impl;

/** Methods that change the fleet; the read-only token may call every other one. */
export const WRITE_METHODS: ReadonlySet<Method> = new Set<Method>([
  "sync",
  "swarmInit",
  "swarmJoin",
  "deployStack",
  "removeStack",
  "scaleService",
  "updateAgents",
]);

/**
 * True when a call changes the fleet: a write method, unless the request asks only for its plan
 * (`phoenix sync all --plan`, `phoenix swarm deploy --plan`), which the read-only token may see.
 */
export function isWrite(method: Method, req: unknown): boolean {
  return WRITE_METHODS.has(method) && !(req as { dryRun?: boolean } | undefined)?.dryRun;
}

/** Methods that answer with a stream. */
const STREAMING: ReadonlySet<Method> = new Set<Method>([
  "sync",
  "deployStack",
  "serviceLogs",
  "watchEvents",
  "updateAgents",
]);

function logFailure(log: Logger, method: string, err: unknown): void {
  const pe = err instanceof PhoenixError ? err : undefined;
  if (pe && ["UNAUTHENTICATED", "PERMISSION_DENIED"].includes(pe.code)) {
    log.warn({ method, code: pe.code }, "API call refused");
  } else if (pe) {
    log.info({ method, code: pe.code, error: pe.describe() }, "API call failed");
  } else {
    log.error({ method, err: (err as Error)?.stack ?? String(err) }, "API call failed unexpectedly");
  }
}

/**
 * The ClusterService as served: every call is authenticated first (API token = everything,
 * read-only token = reads only), logged without its token, then handed to `handlers`.
 */
export function createClusterApi(handlers: Impl, auth: ApiAuth, logger: Logger): Impl {
  const log = logger.child({ component: "api" });
  const wrapped: Record<string, unknown> = {};
  for (const method of Object.keys(handlers) as Method[]) {
    const fn = handlers[method] as (req: unknown, ctx: CallContext) => unknown;
    const check = (req: unknown, ctx: CallContext) => {
      const access = auth.check(ctx.metadata, method, isWrite(method, req));
      log.debug({ method, access, peer: ctx.peer }, "API call");
    };
    wrapped[method] = STREAMING.has(method)
      ? async function* (req: unknown, ctx: CallContext) {
          try {
            check(req, ctx);
            yield* fn(req, ctx) as AsyncIterable<unknown>;
          } catch (err) {
            logFailure(log, method, err);
            throw err;
          }
        }
      : async (req: unknown, ctx: CallContext) => {
          try {
            check(req, ctx);
            return await fn(req, ctx);
          } catch (err) {
            logFailure(log, method, err);
            throw err;
          }
        };
  }
  return wrapped as Impl;
}
