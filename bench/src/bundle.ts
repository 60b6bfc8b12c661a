import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository root (bench/src/.. /..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The bundles `npm run build` makes, which the benchmarks run as they ship. */
export const AGENT_BUNDLE = join(ROOT, "agents/node-agent/dist/phoenix-agent.mjs");
export const COORDINATOR_BUNDLE = join(ROOT, "coordinator/dist/phoenix-coordinator.mjs");
/** The shipped systemd unit of the agent. */
export const AGENT_UNIT = join(ROOT, "deploy/systemd/phoenix-agent.service");

/** The node flags the shipped unit starts the agent with (its ExecStart before the bundle path). */
export function agentNodeFlags(unit = readFileSync(AGENT_UNIT, "utf8")): string[] {
  const m = /^ExecStart=\S+ (.*?) ?\S*phoenix-agent\.mjs run /m.exec(unit);
  if (!m) throw new Error(`${AGENT_UNIT}: no ExecStart line running phoenix-agent.mjs`);
  return m[1]!.split(" ").filter(Boolean);
}

/**
 * Bundles one of the benchmark's own helper programs (bench/src/...) into bench/dist with the
 * repository's bundler, the way the shipped programs are built, so child processes start fast and
 * carry no TypeScript loader.
 */
export async function bundleHelper(entry: string): Promise<string> {
  const out = join(ROOT, "bench/dist", entry.replace(/^src\//, "").replace(/\.ts$/, ".mjs"));
  await mkdir(dirname(out), { recursive: true });
  await promisify(execFile)(
    process.execPath,
    [join(ROOT, "scripts/bundle.mjs"), join(ROOT, "bench", entry), out],
    {
      cwd: ROOT,
    },
  );
  return out;
}
