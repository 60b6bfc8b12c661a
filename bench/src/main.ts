import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Lab } from "../../test/lab";
import { ROOT } from "./bundle";
import { benchFanout } from "./fanout/fanout-bench";
import { CI_FACTOR, type Figure, failed, figure, skipped } from "./figures";
import { benchFootprint } from "./footprint";
import { dockerdPid, labUnavailable, startBenchLab } from "./lab/bench-lab";
import { benchDeploy } from "./lab/deploy-bench";
import { benchLabelOnBoot } from "./lab/label-on-boot";
import { FULL, type Mode, QUICK } from "./modes";
import { benchPlan } from "./plan/plan-bench";
import { renderTable } from "./table";

/** The benchmarks, in the order of the table. */
export const SECTIONS = ["footprint", "fanout", "label", "deploy", "plan"] as const;
type Section = (typeof SECTIONS)[number];

const TITLES: Record<Section, string> = {
  footprint: "1. agent footprint",
  fanout: "2. fan-out",
  label: "3. label on boot",
  deploy: "4. deploy",
  plan: "5. plan",
};

const USAGE = `Usage: npm run bench -- [--quick] [--json PATH] [--only SECTIONS] [--keep]

Runs Phoenix's benchmarks and prints one table; the same figures go to bench/results/<time>.json.
  --quick          the short run CI uses (fewer runs, shorter windows, fan-out up to 1,000 agents)
  --json PATH      also write the JSON there
  --only LIST      comma-separated subset of: ${SECTIONS.join(", ")}
  --keep           keep the scratch directory (logs of every process) and say where
Exit status: 1 when a figure is past its CI limit (${CI_FACTOR}x its budget unless the table says
otherwise) or a benchmark broke; 0 otherwise, also when a figure is over budget but within the limit.
CPU profiles of the child processes: BENCH_CPU_PROF=<dir> npm run bench -- ...; read them with
npx tsx bench/profile.ts <dir>/*.cpuprofile.`;

/** Where the run happened, for the JSON file. */
function machine() {
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      return "";
    }
  };
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    commit: git(["rev-parse", "HEAD"]),
    dirty: git(["status", "--porcelain", "--untracked-files=no"]) !== "",
  };
}

/** A benchmark that threw: one FAIL row saying why (a broken benchmark must not pass CI). */
function broke(section: Section, err: unknown): Figure {
  const f = figure({
    id: `${section}.error`,
    section: TITLES[section],
    label: "benchmark did not complete",
    unit: "count",
    note: `${section}: ${(err as Error)?.message ?? String(err)}`.replace(/\s+/g, " "),
  });
  return { ...f, verdict: "FAIL" };
}

/** `npm run bench`: runs the benchmarks, prints the table, writes the JSON, returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let values: { quick?: boolean; json?: string; only?: string; keep?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: "boolean" },
        json: { type: "string" },
        only: { type: "string" },
        keep: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((s) => !SECTIONS.includes(s as Section));
  if (unknown?.length) {
    process.stderr.write(`bench: unknown section(s) ${unknown.join(", ")} (known: ${SECTIONS.join(", ")})\n`);
    return 2;
  }
  const wanted = new Set<Section>((only as Section[] | undefined) ?? SECTIONS);
  const mode: Mode = values.quick ? QUICK : FULL;
  const startedAt = new Date();
  const t0 = performance.now();
  const load = [loadavg()[0]!];
  const scratch = mkdtempSync(join(tmpdir(), "phoenix-bench-"));
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  say(`${mode.name} run; scratch ${scratch}`);

  const figures: Figure[] = [];
  let errors = 0;
  const run = async (section: Section, fn: (dir: string) => Promise<Figure[]>) => {
    if (!wanted.has(section)) return;
    const s = performance.now();
    say(`${TITLES[section]} ...`);
    const dir = join(scratch, section);
    mkdirSync(dir, { recursive: true });
    try {
      figures.push(...(await fn(dir)));
    } catch (err) {
      errors++;
      figures.push(broke(section, err));
    }
    say(`${TITLES[section]} done in ${((performance.now() - s) / 1000).toFixed(0)} s`);
  };

  await run("plan", (dir) => benchPlan({ runs: mode.plan.runs, dir }));
  await run("fanout", (dir) => benchFanout({ ...mode.fanout, dir }));

  // Footprint, label on boot and deploy share one lab (sandbox guests, coordinator, agents, CLI).
  const labSections = (["footprint", "label", "deploy"] as const).filter((s) => wanted.has(s));
  let lab: Lab | undefined;
  let noLab = labSections.length > 0 ? labUnavailable() : undefined;
  if (labSections.length > 0 && !noLab) {
    say("lab up ...");
    try {
      lab = await startBenchLab(say);
    } catch (err) {
      errors++;
      noLab = `the lab did not come up: ${(err as Error).message}`;
      figures.push(broke(labSections[0]!, err));
    }
  }
  try {
    await run("footprint", (dir) =>
      benchFootprint({
        ...mode.footprint,
        dir,
        docker: lab
          ? {
              socket: lab.guest("gpu1").socketPath,
              what: "the dockerd of lab guest gpu1 (a Swarm worker)",
              pid: dockerdPid(lab.guest("gpu1").dir),
            }
          : { socket: join(dir, "no-docker.sock"), what: `a path where no engine listens (${noLab})` },
      }),
    );
    for (const [section, fn] of [
      ["label", (l: Lab) => benchLabelOnBoot(l, mode.label)],
      ["deploy", (l: Lab) => benchDeploy(l, { ...mode.deploy, dir: join(scratch, "deploy") })],
    ] as const) {
      if (lab) await run(section, () => fn(lab!));
      else if (wanted.has(section) && noLab && !figures.some((f) => f.id.startsWith(`${section}.`)))
        figures.push(
          skipped(
            { id: `${section}.skipped`, section: TITLES[section], label: "not measured", unit: "count" },
            noLab,
          ),
        );
    }
  } finally {
    if (lab) {
      say("lab down ...");
      await lab.down().catch((err: Error) => say(`lab down failed: ${err.message}`));
    }
  }

  figures.sort(
    (a, b) =>
      SECTIONS.findIndex((s) => TITLES[s] === a.section) - SECTIONS.findIndex((s) => TITLES[s] === b.section),
  );
  load.push(loadavg()[0]!);
  const durationS = (performance.now() - t0) / 1000;
  const fail = failed(figures);
  const table = renderTable(figures);
  process.stdout.write(
    `\nPhoenix benchmarks (${mode.name} run, ${durationS.toFixed(0)} s, ${cpus().length} CPUs, load average ${load.map((l) => l.toFixed(1)).join(" -> ")})\n\n${table}`,
  );
  process.stdout.write(
    `\nBudgets are the issue's; a figure "over" its budget is reported, one past its CI limit (${CI_FACTOR}x the budget unless shown otherwise) fails the run${fail ? ": FAILED" : "."}\n`,
  );
  const json = {
    schema: "phoenix-bench/1",
    mode: mode.name,
    startedAt: startedAt.toISOString(),
    durationS: Math.round(durationS),
    loadAverage: load,
    machine: machine(),
    ciFactor: CI_FACTOR,
    failed: fail,
    figures,
  };
  const text = `${JSON.stringify(json, null, 2)}\n`;
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const out = [join(ROOT, "bench/results", `${stamp}${mode.name === "quick" ? "-quick" : ""}.json`)];
  if (values.json) out.push(resolve(values.json));
  for (const path of out) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  say(`figures written to ${out.join(" and ")}`);
  if (values.keep || errors > 0) say(`scratch directory kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
  return fail ? 1 : 0;
}
