import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadModel, type Model } from "@phoenix/model";
import { type ObservedState, plan, simulateApply } from "../../../coordinator/src/planner";
import { desiredState } from "../../../coordinator/src/scheduler";
import { type Figure, figure } from "../figures";
import { median, timeRuns } from "../stats";
import { FLEET_1000, type FleetSize, fleetModelFiles, freshFleet, withDrift } from "./fleet-model";

/** Options of the plan benchmark. */
export interface PlanBenchOptions {
  /** Timed runs per figure (the median is reported). */
  runs: number;
  /** Scratch directory for the generated model. */
  dir: string;
  size?: FleetSize;
}

const SECTION = "5. plan";
/** Budget of one plan of 1,000 guests and 200 stacks (issue 7). */
export const PLAN_BUDGET_MS = 500;

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

async function load(dir: string): Promise<Model> {
  const r = await loadModel(dir);
  if (!r.ok)
    throw new Error(
      `the generated model does not validate:\n${r.errors.map((e) => e.describe()).join("\n")}`,
    );
  return r.model;
}

/**
 * Times what `phoenix plan` computes: the scheduler's desired state (roles, labels, stacks) and the
 * planner's steps, for a generated model against a generated observed state of the same size, in
 * three situations (fresh fleet, converged, drifted). Model loading (read + validate every file)
 * is timed on its own.
 */
export async function benchPlan(opts: PlanBenchOptions): Promise<Figure[]> {
  const size = opts.size ?? FLEET_1000;
  const files = fleetModelFiles(size);
  await writeFiles(opts.dir, files);
  let model: Model | undefined;
  const loadTimes = await timeRuns(opts.runs, async () => {
    model = await load(opts.dir);
  });
  const m = model!;
  const planFor = (observed: ObservedState) => plan(desiredState(m, observed), observed);

  const fresh = freshFleet(size);
  const first = planFor(fresh);
  const converged = simulateApply(fresh, first);
  const leftover = planFor(converged).steps.length;
  if (leftover !== 0)
    throw new Error(`a converged fleet still plans ${leftover} steps: the generated state is wrong`);
  const drifted = withDrift(converged);

  const what = `${size.guests.toLocaleString("en-US")} guests, ${size.stacks} stacks x ${size.environments.length} environments`;
  const figures: Figure[] = [
    figure({
      id: "plan.model-load",
      section: SECTION,
      label: `load the model (${Object.keys(files).length} files, read + validate)`,
      value: median(loadTimes),
      unit: "ms",
      note: `median of ${opts.runs}; first run ${loadTimes[0]!.toFixed(0)} ms. Model: ${what}; loadModel() from a directory on disk`,
    }),
  ];
  const cases: [string, string, ObservedState][] = [
    ["fresh", "fresh fleet (no swarm yet)", fresh],
    ["converged", "converged fleet (nothing to do)", converged],
    ["drifted", "drifted fleet (10% labels, 10% stacks, 1% offline)", drifted],
  ];
  for (const [id, label, observed] of cases) {
    let steps = 0;
    const times = await timeRuns(opts.runs, () => {
      steps = planFor(observed).steps.length;
    });
    figures.push(
      figure({
        id: `plan.${id}`,
        section: SECTION,
        label: `plan, ${label}: ${steps.toLocaleString("en-US")} steps`,
        value: median(times),
        unit: "ms",
        budget: PLAN_BUDGET_MS,
        note:
          id === "fresh"
            ? `desiredState() + plan() against an observed state of ${size.guests.toLocaleString("en-US")} agents, ` +
              `and once converged ${converged.swarm.nodes.length.toLocaleString("en-US")} swarm nodes and ` +
              `${converged.stacks.length} deployed stacks; median of ${opts.runs} runs in one process (first run ${times[0]!.toFixed(0)} ms)`
            : undefined,
      }),
    );
  }
  return figures;
}
