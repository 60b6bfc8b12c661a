import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is test/lab/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The example model the lab deploys: four guests, four stacks, three environments. */
export const EXAMPLE_MODEL = join(REPO_ROOT, "deploy/examples/model");

/** The built bundles the lab runs: what an operator installs, not the sources. */
export const BUNDLES = {
  coordinator: join(REPO_ROOT, "coordinator/dist/phoenix-coordinator.mjs"),
  agent: join(REPO_ROOT, "agents/node-agent/dist/phoenix-agent.mjs"),
  cli: join(REPO_ROOT, "cli/dist/phoenix.mjs"),
} as const;

/** Where labs keep their directories (state file, model copy, tokens, logs); PHOENIX_LAB_ROOT overrides it. */
export function labRoot(): string {
  return process.env.PHOENIX_LAB_ROOT ?? "/var/lib/phoenix-lab";
}
