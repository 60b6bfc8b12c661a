import { ErrorCode, ExitCode, PhoenixError } from "@phoenix/errors";
import { Command, CommanderError } from "commander";
import type { ClusterClient } from "./client";
import type { CommandContext } from "./context";
import { createOutput } from "./output";
import { reportError } from "./report-error";
import { type Connection, type GlobalFlags, resolveConnection } from "./settings";
import { VERSION } from "./version";

// biome-ignore lint/suspicious/noExplicitAny: commander passes positional arguments and options untyped
type Handler = (ctx: CommandContext, ...args: any[]) => Promise<number | undefined>;

/** Whether a command talks to the coordinator (its gRPC client is loaded beside the command's code). */
type Needs = "coordinator" | "offline";

/**
 * Builds the whole command tree; each command's code loads only when it runs, and the gRPC client
 * only for the commands that call the coordinator, so `--version`, `--help` and the offline commands
 * start without it.
 */
export function buildProgram(): Command {
  const program = new Command("phoenix")
    .description("Declarative Docker Swarm for Proxmox fleets: the phoenix-coordinator command line")
    .version(VERSION, "-v, --version")
    .option(
      "--coordinator <host:port>",
      "coordinator gRPC address [env PHOENIX_COORDINATOR, default 127.0.0.1:7443]",
    )
    .option("--token-file <file>", "file holding the API token [env PHOENIX_TOKEN_FILE]")
    .option(
      "--token <token>",
      "API token [env PHOENIX_TOKEN]; prefer a file: arguments are visible to other users",
    )
    .option(
      "--tls-ca <file>",
      "CA certificate that signed the coordinator's TLS certificate [env PHOENIX_TLS_CA]",
    )
    .option("--config <file>", "config file [env PHOENIX_CONFIG, default ~/.config/phoenix/cli.json]")
    .option("--timeout <duration>", "deadline of each call, e.g. 30s [env PHOENIX_TIMEOUT]")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 1 failed, 2 usage or bad input (also a refused token), 3 coordinator unreachable.

Examples:
  phoenix status
  phoenix nodes
  phoenix sync all --plan
  phoenix swarm deploy qdrant_service --env dev1
  phoenix events --follow --since 10m`,
    );

  const cmd = (parent: Command, name: string, description: string, examples: string[]) =>
    parent
      .command(name)
      .description(description)
      .addHelpText("after", `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}`);

  const lazy =
    (load: () => Promise<Handler>, needs: Needs = "coordinator") =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const opts = { ...command.optsWithGlobals() } as GlobalFlags & { json?: boolean };
      process.exitCode = await execute(opts, needs, load, args.slice(0, -1));
    };

  cmd(program, "status", "Show the cluster: model, swarm, agents, stacks, events", [
    "phoenix status",
    "phoenix status --json",
  ])
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/status")).status));

  const nodes = cmd(program, "nodes", "List guests with roles, labels and where services run", [
    "phoenix nodes",
    "phoenix nodes ls --json",
    "phoenix nodes inspect gpu-worker-01",
  ]);
  nodes
    .command("ls", { isDefault: true })
    .description("List every guest")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix nodes ls\n  phoenix nodes ls --labels\n  phoenix nodes ls --json | jq '.nodes[].name'",
    )
    .option("--json", "print JSON")
    .option("--labels", "show every label, not only the model's")
    .action(lazy(async () => (await import("./commands/nodes")).list));
  nodes
    .command("inspect <node>")
    .addHelpText("after", "\nExamples:\n  phoenix nodes inspect vllmqwen\n  phoenix nodes inspect 950 --json")
    .description("Show one guest with its inventory (name, hostname, vmid or node id)")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/nodes")).inspect));

  const agents = cmd(program, "agents", "The phoenix-agent on each guest", [
    "phoenix agents update",
    "phoenix agents update drphoenix 950",
  ]);
  agents
    .command("update [guests...]")
    .addHelpText(
      "after",
      "\nEvery online agent of another version than the coordinator's agent bundle, or the guests named\n" +
        "(name, hostname or vmid), replaces its bundle with that one and restarts into it (its systemd unit\n" +
        "brings it back).\n\nExamples:\n  phoenix agents update\n  phoenix agents update drphoenix 950 --json",
    )
    .description("Update agents to the coordinator's agent bundle; each restarts into it")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/agents")).update));

  cmd(program, "plan", "Print the steps a sync would run now", ["phoenix plan", "phoenix plan --json"])
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/sync")).plan));

  const sync = cmd(program, "sync", "Converge the fleet to the model", [
    "phoenix sync all",
    "phoenix sync all --plan",
  ]);
  sync
    .command("all")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix sync all\n  phoenix sync all --plan\n  phoenix sync all --json > sync.jsonl",
    )
    .description("Plan, then run every step: swarm, roles, labels, networks, stacks")
    .option("--plan", "only print the plan, change nothing")
    .option("--json", "print progress as JSON lines")
    .action(lazy(async () => (await import("./commands/sync")).syncAll));

  const swarm = cmd(program, "swarm", "Swarm membership and stack environments", [
    "phoenix swarm status",
    "phoenix swarm join 1003",
    "phoenix swarm deploy thinkheads_ai_app --env test",
    "phoenix swarm rm thinkheads_ai_app --env test",
  ]);
  swarm
    .command("init")
    .addHelpText("after", "\nExamples:\n  phoenix swarm init\n  phoenix swarm init --node portainer")
    .description("Initialise the swarm on the model's first manager")
    .option("--node <node>", "guest to initialise on")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/swarm")).init));
  swarm
    .command("join <vmid>")
    .addHelpText("after", "\nExamples:\n  phoenix swarm join 1003\n  phoenix swarm join drphoenix")
    .description("Join one guest (vmid, name or hostname) with its scheduled role")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/swarm")).join));
  swarm
    .command("status")
    .description("The swarm's nodes as a manager sees them")
    .addHelpText("after", "\nExamples:\n  phoenix swarm status\n  phoenix swarm status --json")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/swarm")).status));
  swarm
    .command("deploy <stack>")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix swarm deploy qdrant_service --env dev1\n  phoenix swarm deploy qdrant_service --env dev1 --plan\n  phoenix swarm deploy thinkheads_ai_app --env test --no-rollback",
    )
    .description("Deploy a stack as an environment (namespace <env>_<stack>)")
    .requiredOption("--env <env>", "environment from the stack's phoenix.json")
    .option("--plan", "print what the deploy would change in the swarm, and change nothing")
    .option("--no-rollback", "keep the new specs even if tasks fail")
    .option("--json", "print the result as JSON")
    .action(lazy(async () => (await import("./commands/swarm")).deploy));
  swarm
    .command("rm <stack>")
    .addHelpText("after", "\nExamples:\n  phoenix swarm rm qdrant_service --env dev1")
    .description("Remove a stack environment and everything it owns")
    .requiredOption("--env <env>", "environment to remove")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/swarm")).remove));

  const stacks = cmd(program, "stacks", "Deployed stack environments", ["phoenix stacks ls"]);
  stacks
    .command("ls", { isDefault: true })
    .description("List deployed stack environments")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix stacks ls\n  phoenix stacks ls --env dev1\n  phoenix stacks ls --stack qdrant_service --json",
    )
    .option("--env <env>", "only this environment")
    .option("--stack <stack>", "only this stack")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/stacks")).list));

  const services = cmd(program, "services", "Swarm services", [
    "phoenix services ls",
    "phoenix services ps dev1_qdrant_service_qdrant",
    "phoenix services logs dev1_qdrant_service_qdrant --follow",
    "phoenix services scale dev1_thinkheads_ai_app_app=3",
  ]);
  services
    .command("ls", { isDefault: true })
    .description("List services")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix services ls\n  phoenix services ls --namespace dev1_qdrant_service",
    )
    .option("--namespace <ns>", "only this stack namespace")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/services")).list));
  services
    .command("ps <service>")
    .addHelpText("after", "\nExamples:\n  phoenix services ps dev1_qdrant_service_qdrant")
    .description("List a service's tasks")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/services")).ps));
  services
    .command("logs <service>")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix services logs dev1_qdrant_service_qdrant --tail 50\n  phoenix services logs dev1_qdrant_service_qdrant --follow",
    )
    .description("Print a service's logs")
    .option("-f, --follow", "keep printing new lines")
    .option("--tail <n>", "last N lines per task")
    .action(lazy(async () => (await import("./commands/services")).logs));
  services
    .command("scale <service=replicas...>")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix services scale dev1_thinkheads_ai_app_app=3\n  phoenix services scale dev1_app_web=2 dev1_app_api=4",
    )
    .description("Set replicated services' replica counts (until the next sync or deploy of their stack)")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/services")).scale));

  cmd(program, "events", "Print events, replayed from a point and optionally followed", [
    "phoenix events",
    "phoenix events --follow",
    "phoenix events --since 15m --type node.",
    "phoenix events --since 120 --json",
  ])
    .option("-f, --follow", "keep printing new events")
    .option("--since <time|seq>", "replay from a time (RFC 3339 or 10m/2h ago) or an event sequence number")
    .option("--type <prefix...>", "only these event types, by prefix")
    .option("--json", "print one JSON event per line")
    .action(lazy(async () => (await import("./commands/events")).events));

  const stack = cmd(program, "stack", "Offline stack tools (no coordinator needed)", [
    "phoenix stack render -f stacks/qdrant_service/docker-compose.yml --namespace dev1_qdrant_service --json",
    "phoenix stack render -f docker-compose.yml --manifest phoenix.json --env dev1",
  ]);
  stack
    .command("render")
    .addHelpText(
      "after",
      "\nExamples:\n  phoenix stack render -f docker-compose.yml --namespace demo\n  phoenix stack render -f stacks/qdrant_service/docker-compose.yml --env dev1",
    )
    .description("Print the Docker Engine specs a deploy would apply, like `docker stack config`")
    .requiredOption("-f, --file <compose>", "docker-compose.yml")
    .option(
      "--namespace <ns>",
      "stack namespace (default: <env>_<folder name> with --env, else the folder name)",
    )
    .option("--manifest <phoenix.json>", "phoenix.json with per-environment overrides")
    .option("--env <env>", "environment from the manifest")
    .option(
      "--env-file <file>",
      ".env file for variable interpolation (default: .env beside the compose file)",
    )
    .option("--json", "print JSON (default)")
    .action(lazy(async () => (await import("./commands/render")).render, "offline"));

  cmd(program, "completion", "Print a shell completion script", [
    "phoenix completion bash > /etc/bash_completion.d/phoenix",
    "source <(phoenix completion bash)",
  ])
    .argument("[shell]", "bash or zsh", "bash")
    .action(lazy(async () => (await import("./commands/completion")).completion, "offline"));

  return program;
}

async function execute(
  flags: GlobalFlags & { json?: boolean },
  needs: Needs,
  load: () => Promise<Handler>,
  args: unknown[],
): Promise<number> {
  const out = createOutput({ json: flags.json });
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let conn: Connection | undefined;
  let client: ClusterClient | undefined;
  let connect: typeof import("./client").connect | undefined;
  const ctx: CommandContext = {
    out,
    signal: ac.signal,
    connection: () => {
      conn ??= resolveConnection(flags);
      return conn;
    },
    client: () => {
      if (!connect)
        throw new PhoenixError(ErrorCode.INTERNAL, "an offline command asked for the coordinator");
      client ??= connect(ctx.connection());
      return client;
    },
  };
  try {
    const [handler, clientModule] = await Promise.all([
      load(),
      needs === "coordinator" ? import("./client") : undefined,
    ]);
    connect = clientModule?.connect;
    return (await handler(ctx, ...args)) ?? ExitCode.OK;
  } catch (err) {
    if (ac.signal.aborted) return ExitCode.OK;
    const { message, exitCode } = reportError(err, conn?.coordinator);
    out.error(message);
    return exitCode;
  } finally {
    client?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Runs the CLI with process.argv; commander usage errors exit 2. */
export async function main(argv = process.argv): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const c of allCommands(program)) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code);
      process.exitCode = ok ? ExitCode.OK : ExitCode.USAGE;
      return;
    }
    const { message, exitCode } = reportError(err, undefined);
    process.stderr.write(`${message}\n`);
    process.exitCode = exitCode;
  }
}

function allCommands(c: Command): Command[] {
  return [c, ...c.commands.flatMap(allCommands)];
}
