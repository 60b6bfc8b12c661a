import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PhoenixError } from "@phoenix/errors";
import { sandboxRoot } from "../sandbox/constants";
import { findLeftovers, footprint } from "../sandbox/leftovers";
import { requireRoot } from "../sandbox/preflight";
import { isAlive } from "../sandbox/procfs";
import { readState } from "../sandbox/state";
import { sandboxStatus } from "../sandbox/status";
import { downSandbox } from "../sandbox/sweep";
import { EXAMPLE_LAB_GUESTS } from "./example-guests";
import { attachLab, createLab, downLab, type Lab } from "./lab";
import { readLabState } from "./lab-state";
import { BUNDLES, labRoot } from "./paths";

const USAGE = `usage: bash scripts/lab.sh <command> [--name NAME]

  up      bring up the lab (3 guests of the example model, NATS, coordinator, agents),
          run 'phoenix sync all', show 'phoenix status' and 'phoenix nodes'; leaves it running
  status  what runs, and 'phoenix status'
  env     the export lines that point the phoenix CLI at the lab
  down    take everything down: agents, coordinator, guests, NATS, namespaces; nothing is left

The lab's state lives in ${labRoot()}/<name> (default name: lab), so any shell can take it down.`;

const t0 = Date.now();
const seconds = (since = t0) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function header(text: string): void {
  process.stdout.write(`\n==> ${text}\n`);
}

function envLines(lab: Lab): string[] {
  const env = lab.cliEnv();
  return [
    `export PHOENIX_COORDINATOR=${env.PHOENIX_COORDINATOR}`,
    `export PHOENIX_TOKEN_FILE=${env.PHOENIX_TOKEN_FILE}`,
    `alias phoenix='node ${BUNDLES.cli}'`,
  ];
}

function printUsage(lab: Lab): void {
  const manager = lab.guests[0];
  const lines = [
    "The lab keeps running. To use the phoenix CLI against it, in your shell:",
    "",
    ...envLines(lab).map((l) => `  ${l}`),
    "",
    "  phoenix nodes                          # roles, labels, GPUs, where services run",
    "  phoenix plan                           # nothing to do after a sync",
    "  phoenix swarm deploy qdrant_service --env dev1",
    "  phoenix events --since 10m",
    "",
    `Look at a guest's Docker directly (the swarm manager is ${manager?.name}):`,
    `  docker -H ${manager?.dockerHost} node ls`,
    `  docker -H ${manager?.dockerHost} service ls`,
    "",
    "Events as they happen: phoenix events --follow",
    `  (or subscribe to 'phoenix.>' on the lab's NATS server yourself: ${lab.natsUrl})`,
    `Logs: ${lab.logDir}`,
    `Model the coordinator reads: ${lab.modelDir}`,
    "",
    "Take it all down: bash scripts/lab.sh down",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function up(name: string): Promise<number> {
  requireRoot();
  if (readLabState(join(labRoot(), name)) || readState(join(sandboxRoot(), name))) {
    process.stderr.write(
      `lab ${name} is already up (or half up): see 'bash scripts/lab.sh status', or take it down first with 'bash scripts/lab.sh down'\n`,
    );
    return 2;
  }
  header(`lab ${name}: sandbox guests, NATS, coordinator and agents`);
  const lab = createLab({
    name,
    guests: [...EXAMPLE_LAB_GUESTS],
    keep: true,
    onStep: (line) => process.stdout.write(`    ${seconds()}  ${line}\n`),
    onFailure: (logs) =>
      process.stderr.write(
        `\nlab ${name} did not come up; the last lines of its processes' logs:\n${logs}\n`,
      ),
  });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write("\ninterrupted: taking the lab down\n");
    lab.down().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  await lab.up();

  header("phoenix sync all (the example model)");
  const syncStart = Date.now();
  const sync = await lab.phoenix(["sync", "all"], { echo: true });
  process.stdout.write(`    sync took ${seconds(syncStart)}\n`);

  header("phoenix status");
  await lab.phoenix(["status"], { echo: true });
  header("phoenix nodes (roles, labels, GPUs, where services run)");
  await lab.phoenix(["nodes"], { echo: true });
  header("phoenix stacks ls");
  await lab.phoenix(["stacks", "ls"], { echo: true });
  header(`lab ${name} is up (${seconds()})`);
  printUsage(lab);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (sync.code !== 0) {
    process.stderr.write(
      `\n'phoenix sync all' failed (exit ${sync.code}); the lab stays up to look at it. Logs: ${lab.logDir}\n`,
    );
    return 1;
  }
  return 0;
}

async function status(name: string): Promise<number> {
  const state = readLabState(join(labRoot(), name));
  if (!state) {
    process.stdout.write(`no lab named ${name} is up\n`);
    return 3;
  }
  const lab = attachLab(name);
  header(`lab ${name} (${state.dir}), up since ${state.createdAt}`);
  const c = state.coordinator;
  const running = (ref: typeof c.proc) => (ref && isAlive(ref) ? `running (pid ${ref.pid})` : "NOT running");
  process.stdout.write(`  coordinator  ${c.host}:${c.port}  ${running(c.proc)}\n`);
  for (const a of Object.values(state.agents)) {
    process.stdout.write(`  agent        ${a.guest.padEnd(12)} ${running(a.proc)}\n`);
  }
  const sb = readState(join(sandboxRoot(), state.sandbox));
  if (sb) {
    const s = await sandboxStatus(sb);
    process.stdout.write(
      `  nats         ${s.nats?.localUrl ?? "-"}  ${s.nats?.running ? "running" : "NOT running"}\n`,
    );
    for (const g of s.guests) {
      const problems = [g.docker ? "" : "docker down", g.link === "up" ? "" : `link ${g.link}`].filter(
        Boolean,
      );
      process.stdout.write(
        `  guest        ${g.name.padEnd(12)} ${g.ip.padEnd(14)} ${problems.join(", ") || "ok"}\n`,
      );
    }
  } else process.stdout.write("  sandbox      MISSING\n");
  if (c.proc && isAlive(c.proc)) {
    header("phoenix status");
    await lab.phoenix(["status"], { echo: true });
    header("phoenix nodes");
    await lab.phoenix(["nodes"], { echo: true });
  }
  header("use it");
  process.stdout.write(`${envLines(lab).join("\n")}\n`);
  return 0;
}

async function down(name: string): Promise<number> {
  requireRoot();
  const dir = join(labRoot(), name);
  const state = readLabState(dir);
  const sb = readState(join(sandboxRoot(), name));
  if (!state && !sb && !existsSync(dir)) {
    process.stdout.write(`no lab named ${name}: nothing to take down\n`);
    return 0;
  }
  header(`taking lab ${name} down`);
  const fp = sb ? footprint(sb) : undefined;
  const procs = state
    ? [state.coordinator.proc, ...Object.values(state.agents).map((a) => a.proc)].filter(
        (p) => p !== undefined,
      )
    : [];
  if (state) await downLab(state);
  else await downSandbox(name);
  const left = [
    ...(fp ? await findLeftovers(fp) : []),
    ...procs.filter(isAlive).map((p) => `process ${p.pid}`),
    ...(existsSync(dir) ? [`directory ${dir}`] : []),
  ];
  if (left.length > 0) {
    process.stderr.write(`left behind:\n${left.map((l) => `  ${l}`).join("\n")}\n`);
    return 1;
  }
  process.stdout.write(
    `lab ${name} is down: no process, namespace, bridge, rule or directory left (${seconds()})\n`,
  );
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const name = values.name ?? "lab";
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case "up":
      return up(name);
    case "down":
      return down(name);
    case "status":
      return status(name);
    case "env": {
      if (!readLabState(join(labRoot(), name))) {
        process.stderr.write(`no lab named ${name} is up\n`);
        return 3;
      }
      process.stdout.write(`${envLines(attachLab(name)).join("\n")}\n`);
      return 0;
    }
    default:
      process.stderr.write(`unknown command ${command}\n\n${USAGE}\n`);
      return 2;
  }
}

// `bash scripts/lab.sh status | head`: a reader that stops early is not a failure of the lab.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const pe = PhoenixError.from(err);
    process.stderr.write(`lab: ${pe.describe()}\n`);
    process.exit(1);
  },
);
