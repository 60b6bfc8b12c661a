import { type ParseArgsConfig, parseArgs } from "node:util";
import { ExitCode, exitCodeFor, PhoenixError } from "@phoenix/errors";
import { CONFIG_FLAGS, loadConfig } from "./config";
import { redact } from "./redact";
import { AGENT_VERSION } from "./version";

/** Usage text of `phoenix-agent --help`. */
export const USAGE = `phoenix-agent ${AGENT_VERSION}: reports this guest to the Phoenix coordinator and runs its commands

Usage:
  phoenix-agent run [--config FILE] [options]   connect to the coordinator and serve (runs until stopped)
  phoenix-agent inventory [--json] [options]    print what the agent sees on this guest, once
  phoenix-agent --help | --version

Options (flags win over PHOENIX_* variables, which win over the config file):
  --config FILE                    JSON config file (e.g. /etc/phoenix/agent.json)
  --coordinator HOST:PORT          coordinator address                     PHOENIX_COORDINATOR
  --enrollment-token-file FILE     file holding the enrollment token       PHOENIX_ENROLLMENT_TOKEN_FILE
                                   (or the token itself, never a flag)     PHOENIX_ENROLLMENT_TOKEN
  --agent-id ID                    identity (default: /etc/machine-id)     PHOENIX_AGENT_ID
  --vmid N                         Proxmox vmid of this guest              PHOENIX_VMID
  --docker-socket PATH             default /var/run/docker.sock            PHOENIX_DOCKER_SOCKET
  --nvidia-smi PATH                default nvidia-smi (on PATH)            PHOENIX_NVIDIA_SMI
  --tls-ca FILE                    CA of the coordinator (enables TLS)     PHOENIX_TLS_CA
  --tls-cert FILE --tls-key FILE   client certificate and key              PHOENIX_TLS_CERT, PHOENIX_TLS_KEY
  --state-dir DIR                  keeps command results across restarts   PHOENIX_STATE_DIR
  --log-level LEVEL                trace|debug|info|warn|error|fatal|silent PHOENIX_LOG_LEVEL
  --json                           (inventory) print protobuf JSON

Config file fields: coordinator, enrollmentToken, enrollmentTokenFile, agentId, vmid, dockerSocket,
nvidiaSmi, tlsCa, tlsCert, tlsKey, stateDir, logLevel.
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  json: { type: "boolean" },
  config: { type: "string" },
  ...Object.fromEntries(CONFIG_FLAGS.map((f) => [f, { type: "string" }])),
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

function fail(message: string, code: number = ExitCode.USAGE): never {
  process.stderr.write(`phoenix-agent: ${message}\n`);
  process.exit(code);
}

/** Parses argv and runs a command; a bad invocation or configuration exits 2 with one message. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<void> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    fail(`${(err as Error).message.split("\n")[0]} (see phoenix-agent --help)`);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return;
  }
  const command = positionals[0];
  if (values.help || command === "help" || command === undefined) {
    process.stdout.write(USAGE);
    if (command === undefined && !values.help) process.exitCode = ExitCode.USAGE;
    return;
  }
  if (positionals.length > 1) fail(`unexpected argument "${positionals[1]}" (see phoenix-agent --help)`);
  const flags = Object.fromEntries(
    CONFIG_FLAGS.map((f) => [f, (values as Record<string, unknown>)[f] as string | undefined]),
  );
  const file = values.config;

  if (command === "inventory") {
    const cfg = loadConfig({ file, env, flags }, "inventory");
    const { printInventory } = await import("./inventory-command");
    await printInventory(cfg, values.json === true);
    return;
  }
  if (command === "run") {
    const cfg = loadConfig({ file, env, flags }, "run");
    const { runForever } = await import("./run-command");
    await runForever(cfg);
    return;
  }
  fail(`unknown command "${command}" (commands: run, inventory; see phoenix-agent --help)`);
}

function report(err: unknown, env: Record<string, string | undefined>): never {
  const secret = [env.PHOENIX_ENROLLMENT_TOKEN];
  if (err instanceof PhoenixError) fail(redact(err.describe(), secret), exitCodeFor(err.code));
  fail(
    `unexpected error: ${redact(err instanceof Error ? err.message : String(err), secret)}`,
    ExitCode.FAILED,
  );
}

main(process.argv.slice(2), process.env).catch((err) => report(err, process.env));
