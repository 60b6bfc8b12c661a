import { parseArgs } from "node:util";
import { ErrorCode, exitCodeFor, PhoenixError } from "@phoenix/errors";
import { sandboxRoot, TEST_IMAGE } from "./constants";
import { requireRoot } from "./preflight";
import { createSandbox } from "./sandbox";
import { readState } from "./state";
import { type SandboxStatus, sandboxStatus } from "./status";
import { downAllSandboxes, downSandbox, listSandboxes, sweepStaleSandboxes } from "./sweep";

const USAGE = `usage: npm run sandbox -- <command> [options]

  up [--guests N] [--name X] [--no-nats] [--no-image]
        bring a sandbox up and leave it running (guests guest-1..N)
  status [--name X] [--json]
        show one sandbox, or all of them
  down --name X | --all
        take a sandbox down (--all: every sandbox under the root, also other people's,
        then orphaned sandbox namespaces, bridges and rules that nothing uses)
  sweep
        take down sandboxes whose test process died

Sandboxes live under ${sandboxRoot()} (PHOENIX_SANDBOX_ROOT overrides it); it needs root.`;

function usage(message: string): PhoenixError {
  return new PhoenixError(ErrorCode.INVALID_ARGUMENT, `${message}\n\n${USAGE}`);
}

function printStatus(s: SandboxStatus): void {
  const owner = s.keep
    ? "kept"
    : s.owner
      ? `owner pid ${s.owner.pid}${s.owner.alive ? "" : " (dead: stale)"}`
      : "";
  console.log(`sandbox ${s.name}  ${s.healthy ? "healthy" : "NOT healthy"}  ${owner}`);
  console.log(`  dir     ${s.dir}`);
  if (s.bridge) console.log(`  bridge  ${s.bridge} ${s.bridgeIp} (${s.subnet})`);
  if (s.nats)
    console.log(`  nats    ${s.nats.url} (host: ${s.nats.localUrl})${s.nats.running ? "" : " NOT running"}`);
  for (const g of s.guests) {
    const problems = [
      g.netnsExists ? "" : "no netns",
      g.docker ? "" : "docker down",
      g.containerd ? "" : "containerd down",
      g.link === "up" ? "" : `link ${g.link}`,
    ].filter((p) => p !== "");
    console.log(
      `  ${g.name.padEnd(10)} ${g.ip.padEnd(14)} DOCKER_HOST=${g.dockerHost}  ${problems.join(", ") || "ok"}`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      guests: { type: "string" },
      name: { type: "string" },
      "no-nats": { type: "boolean" },
      "no-image": { type: "boolean" },
      json: { type: "boolean" },
      all: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (rest.length > 0) throw usage(`unexpected argument ${rest[0]}`);
  if (command !== "status") requireRoot();
  switch (command) {
    case "up": {
      const guests = values.guests === undefined ? 3 : Number(values.guests);
      const started = Date.now();
      const sandbox = createSandbox({
        name: values.name,
        guests,
        nats: !values["no-nats"],
        image: !values["no-image"],
        keep: true,
      });
      await sandbox.up();
      const status = await sandbox.status();
      printStatus(status);
      console.log(`  image   ${values["no-image"] ? "(none)" : TEST_IMAGE}`);
      console.log(
        `up in ${((Date.now() - started) / 1000).toFixed(1)} s; take it down with: npm run sandbox -- down --name ${sandbox.name}`,
      );
      return 0;
    }
    case "status": {
      const states =
        values.name === undefined ? listSandboxes() : [readState(`${sandboxRoot()}/${values.name}`)];
      if (states[0] === undefined && values.name !== undefined) {
        throw new PhoenixError(ErrorCode.NOT_FOUND, `no sandbox named ${values.name}`);
      }
      const all = await Promise.all(states.filter((s) => s !== undefined).map(sandboxStatus));
      if (values.json) console.log(JSON.stringify(values.name === undefined ? all : all[0], null, 2));
      else if (all.length === 0) console.log("no sandboxes");
      else all.forEach(printStatus);
      return 0;
    }
    case "down": {
      if (values.all) {
        const names = await downAllSandboxes();
        console.log(
          names.length === 0
            ? "no sandboxes; swept stray namespaces, links and rules"
            : `down: ${names.join(", ")}`,
        );
        return 0;
      }
      if (values.name === undefined) throw usage("down needs --name X or --all");
      const found = await downSandbox(values.name);
      console.log(found ? `down: ${values.name}` : `no sandbox named ${values.name}; nothing to do`);
      return 0;
    }
    case "sweep": {
      const swept = await sweepStaleSandboxes();
      console.log(swept.length === 0 ? "no stale sandboxes" : `swept: ${swept.join(", ")}`);
      return 0;
    }
    default:
      throw usage(`unknown command ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof PhoenixError) {
      console.error(`error: ${err.describe()}`);
      process.exit(exitCodeFor(err.code));
    }
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error("bug: unexpected error in the sandbox CLI:", err);
    process.exit(1);
  },
);
