import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadModel, type Model } from "@phoenix/model";
import { compareStacks } from "../../../agents/node-agent/src/stack/check-stack";
import { specFingerprint } from "../../../agents/node-agent/src/stack/drift";
import { NAMESPACE_LABEL } from "../../../agents/node-agent/src/stack/labels";
import { parseStackSpecs } from "../../../agents/node-agent/src/stack/stack-specs";
import { renderModelStack, stackSpecs } from "../../../coordinator/src/fleet-actions";
import { type ObservedState, plan, simulateApply } from "../../../coordinator/src/planner";
import { desiredState } from "../../../coordinator/src/scheduler";
import { type Figure, figure } from "../figures";
import { median, timeRuns } from "../stats";
import { FLEET_1000, type FleetSize, fleetModelFiles, freshFleet, withDrift } from "./fleet-model";
import { swarmRunning } from "./swarm-state";

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
  figures.push(...(await checkFigures(m, opts, converged, planFor, what)));
  return figures;
}

/**
 * What a real plan adds for the stack deployments it would leave alone: the coordinator renders
 * each (only after its files changed) and the manager's agent compares them all with the swarm
 * (compareStacks, the pure part of stack_check; its six Docker reads are not timed).
 */
async function checkFigures(
  m: Model,
  opts: PlanBenchOptions,
  converged: ObservedState,
  planFor: (observed: ObservedState) => { steps: unknown[] },
  what: string,
): Promise<Figure[]> {
  const deployments = converged.stacks;
  let specs = new Map<string, string>();
  const renderTimes = await timeRuns(opts.runs, () => {
    specs = new Map(
      deployments.map((d) => [
        `${d.env}_${d.stack}`,
        JSON.stringify(stackSpecs(renderModelStack(m, opts.dir, d.stack, d.env))),
      ]),
    );
  });
  const swarm = {
    ...swarmRunning(new Map([...specs].map(([ns, json]) => [ns, parseStackSpecs(json, ns)]))),
    // The nodes too: the check counts the addresses of each environment network over them.
    nodes: converged.swarm.nodes.map((n) => ({
      ID: n.id,
      Spec: { Role: n.role, Availability: n.availability, Labels: { ...n.labels } },
      Description: { Hostname: n.hostname },
      Status: { State: n.state },
    })),
    subnetSize: 24,
  };
  // With the fingerprints the deploys recorded: every service's stored spec is hashed and compared too.
  const fingerprints = new Map<string, Record<string, string>>();
  for (const svc of swarm.services) {
    const ns = svc.Spec.Labels?.[NAMESPACE_LABEL] ?? "";
    fingerprints.set(ns, { ...fingerprints.get(ns), [svc.Spec.Name]: specFingerprint(svc.Spec) });
  }
  const asked = [...specs].map(([namespace, specsJson]) => ({
    namespace,
    specsJson,
    prune: true,
    fingerprints: fingerprints.get(namespace) ?? {},
  }));
  let differing = 0;
  let notes = new Set<string>();
  const checkedTimes = await timeRuns(opts.runs, () => {
    planFor(converged);
    const answer = compareStacks(asked, swarm);
    differing = (answer.stacks ?? []).filter((st) => st.error || (st.differences?.length ?? 0) > 0).length;
    notes = new Set((answer.stacks ?? []).flatMap((st) => st.notes ?? []));
  });
  if (differing > 0)
    throw new Error(`${differing} deployments of the converged fleet differ from the swarm built from them`);
  if (notes.size > 0)
    throw new Error(`the check of the converged fleet gave notes: ${[...notes].join("; ")}`);
  return [
    figure({
      id: "plan.check-render",
      section: SECTION,
      label: `render ${deployments.length} stack deployments for the check (once per file change)`,
      value: median(renderTimes),
      unit: "ms",
      note: `median of ${opts.runs}; renderModelStack() + specs JSON per deployment; a plan re-renders only deployments whose files changed`,
    }),
    figure({
      id: "plan.converged-checked",
      section: SECTION,
      label: `plan, converged fleet, with the stack check of ${deployments.length} deployments`,
      value: median(checkedTimes),
      unit: "ms",
      budget: PLAN_BUDGET_MS,
      note: `desiredState() + plan() + compareStacks() (what the manager's agent does with one stack_check: parse the specs, compare with ${swarm.services.length.toLocaleString("en-US")} services and their recorded fingerprints, count the addresses of each overlay network over ${swarm.nodes.length.toLocaleString("en-US")} nodes); ${what}`,
    }),
  ];
}
