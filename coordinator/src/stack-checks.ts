import { PhoenixError } from "@phoenix/errors";
import { type CheckAnswers, stackKey as key, type StackTarget } from "./fleet-actions";
import type { ObservedState, Plan } from "./planner";
import type { DesiredState } from "./scheduler";

/** How the swarm runs the stack deployments a plan would leave alone. */
export interface StackChecks {
  /** `env/stack` → what an apply would change there; only deployments that differ. */
  differences: Map<string, string[]>;
  /** Why some could not be compared (the plan's note), when some could not. */
  note?: string;
  /** What the model asks for and no deploy can change (CheckAnswers.notes): the plan's notes too. */
  notes: string[];
}

/**
 * The deployments a plan would leave alone because their specs are the ones deployed: only the
 * swarm can tell whether it still runs them.
 */
export function stacksToCheck(desired: DesiredState, plan: Plan): StackTarget[] {
  const planned = new Set(
    plan.steps.flatMap((s) => (s.kind === "deploy-stack" || s.kind === "remove-stack" ? [key(s)] : [])),
  );
  return desired.stacks
    .filter((s) => !planned.has(key(s)))
    .map(({ stack, env, specHash }) => ({ stack, env, specHash }));
}

/**
 * What a check counts besides: the deployments the plan deploys (notesOnly: their specs, not what
 * the swarm runs now, count in the addresses of their networks) and the namespaces it removes (not
 * counted).
 */
export function stacksToCount(
  desired: DesiredState,
  plan: Plan,
): { targets: StackTarget[]; removing: string[] } {
  const hashes = new Map(desired.stacks.map((s) => [key(s), s.specHash]));
  const targets: StackTarget[] = [];
  const removing: string[] = [];
  for (const s of plan.steps) {
    if (s.kind === "remove-stack") removing.push(s.namespace);
    if (s.kind !== "deploy-stack") continue;
    const specHash = hashes.get(key(s));
    if (specHash) targets.push({ stack: s.stack, env: s.env, specHash, notesOnly: true });
  }
  return { targets, removing };
}

/**
 * Compares the deployments through `check` (FleetActions.checkStacks); those that could not be
 * compared, all of them when the check failed as a whole, are named in the note. Targets only
 * counted (notesOnly) are never named: their deploy says what fails.
 */
export async function checkStacks(
  targets: readonly StackTarget[],
  check: (targets: readonly StackTarget[]) => Promise<CheckAnswers>,
  signal?: AbortSignal,
): Promise<StackChecks> {
  const differences = new Map<string, string[]>();
  if (targets.length === 0) return { differences, notes: [] };
  let answers: Map<string, string[] | PhoenixError>;
  let notes: string[] = [];
  try {
    ({ stacks: answers, notes } = await check(targets));
  } catch (err) {
    if (signal?.aborted) throw err;
    const failed = PhoenixError.from(err);
    answers = new Map(targets.map((t) => [key(t), failed]));
  }
  const failed: { namespace: string; message: string }[] = [];
  for (const t of targets) {
    if (t.notesOnly) continue;
    const a = answers.get(key(t));
    if (a instanceof PhoenixError) failed.push({ namespace: `${t.env}_${t.stack}`, message: a.message });
    else if (a && a.length > 0) differences.set(key(t), a);
  }
  if (failed.length === 0) return { differences, notes };
  failed.sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
  const first = failed[0] as { namespace: string; message: string };
  const names = failed.map((f) => f.namespace).join(", ");
  return {
    differences,
    notes,
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
