import { PhoenixError } from "@phoenix/errors";
import type { ObservedState, Plan } from "./planner";
import type { DesiredState } from "./scheduler";

/** How the swarm runs the stack deployments a plan would leave alone. */
export interface StackChecks {
  /** `env/stack` → what an apply would change there; only deployments that differ. */
  differences: Map<string, string[]>;
  /** Why some could not be compared (the plan's note), when some could not. */
  note?: string;
}

/** Most stack checks of one plan under way at once. */
export const CHECK_CONCURRENCY = 4;

const key = (s: { env: string; stack: string }) => `${s.env}/${s.stack}`;

/**
 * The deployments a plan would leave alone because their specs are the ones deployed: only the
 * swarm can tell whether it still runs them.
 */
export function stacksToCheck(desired: DesiredState, plan: Plan): { stack: string; env: string }[] {
  const planned = new Set(
    plan.steps.flatMap((s) => (s.kind === "deploy-stack" || s.kind === "remove-stack" ? [key(s)] : [])),
  );
  return desired.stacks.filter((s) => !planned.has(key(s))).map(({ stack, env }) => ({ stack, env }));
}

/** Compares each deployment through `check`, CHECK_CONCURRENCY at a time; a failed comparison becomes the note. */
export async function checkStacks(
  targets: readonly { stack: string; env: string }[],
  check: (stack: string, env: string) => Promise<string[]>,
  signal?: AbortSignal,
): Promise<StackChecks> {
  const differences = new Map<string, string[]>();
  const failed: { namespace: string; message: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const t = targets[next++] as { stack: string; env: string };
      try {
        const found = await check(t.stack, t.env);
        if (found.length > 0) differences.set(key(t), found);
      } catch (err) {
        if (signal?.aborted) throw err;
        failed.push({ namespace: `${t.env}_${t.stack}`, message: PhoenixError.from(err).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, targets.length) }, worker));
  if (failed.length === 0) return { differences };
  failed.sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
  const first = failed[0] as { namespace: string; message: string };
  const names = failed.map((f) => f.namespace).join(", ");
  return {
    differences,
    note: `could not compare ${names} with what the swarm runs (${first.message}): a service removed or changed there by hand is not in this plan`,
  };
}

/** The observed state with each deployment's differences from the checks. */
export function withStackChecks(observed: ObservedState, checks: StackChecks | undefined): ObservedState {
  if (!checks || checks.differences.size === 0) return observed;
  return {
    ...observed,
    stacks: observed.stacks.map((s) => {
      const found = checks.differences.get(key(s));
      return found ? { ...s, differences: found } : s;
    }),
  };
}
