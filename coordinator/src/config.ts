import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { z } from "zod";
import { parseDuration } from "./duration";
import { Secret } from "./secret";

/** A host and port to listen on; port 0 picks a free one. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Everything the coordinator process needs, validated; tokens are wrapped so they never print. */
export interface CoordinatorConfig {
  modelDir: string;
  stateDir: string;
  listen: ListenAddress;
  httpListen?: ListenAddress;
  natsUrl?: string;
  enrollmentToken: Secret;
  apiToken: Secret;
  readOnlyToken?: Secret;
  tls?: { certFile: string; keyFile: string; caFile?: string };
  heartbeatIntervalMs: number;
  heartbeatTtlMs: number;
  heartbeatGraceMs: number;
  /** How often the fleet is observed and compared with the model (drift.found); 0 disables. */
  driftIntervalMs: number;
  /** Quiet time after an agent's Hello or inventory change before its guest is reconciled. */
  reconcileDebounceMs: number;
  /** Whether guests are joined and labelled automatically when their agents register or change. */
  autoReconcile: boolean;
  agentBundle: string;
  installScript: string;
  logLevel: string;
}

/**
 * Where the install endpoint listens unless told otherwise: the port the install script and the
 * cloud-init user-data fetch the agent from (http://<coordinator host>:7480).
 */
export const DEFAULT_HTTP_LISTEN = "0.0.0.0:7480";

interface OptionSpec {
  env: string;
  help: string;
  value?: string;
  boolean?: true;
}

/** Flags of phoenix-coordinator, each with its PHOENIX_* variable. */
export const OPTIONS = {
  model: { env: "PHOENIX_MODEL", value: "DIR", help: "model directory (etc/ and stacks/)" },
  "state-dir": { env: "PHOENIX_STATE_DIR", value: "DIR", help: "state directory (created if absent)" },
  listen: {
    env: "PHOENIX_LISTEN",
    value: "HOST:PORT",
    help: "gRPC address for agents and the API (default 0.0.0.0:7443)",
  },
  "http-listen": {
    env: "PHOENIX_HTTP_LISTEN",
    value: "HOST:PORT|off",
    help: `agent bundle, install script and /healthz over HTTP (default ${DEFAULT_HTTP_LISTEN}; off: none)`,
  },
  nats: { env: "PHOENIX_NATS_URL", value: "URL", help: "NATS server for events, e.g. nats://127.0.0.1:4222" },
  "enrollment-token-file": {
    env: "PHOENIX_ENROLLMENT_TOKEN_FILE",
    value: "FILE",
    help: "file holding the token agents present",
  },
  "api-token-file": {
    env: "PHOENIX_API_TOKEN_FILE",
    value: "FILE",
    help: "file holding the API token (full access)",
  },
  "read-only-token-file": {
    env: "PHOENIX_READ_ONLY_TOKEN_FILE",
    value: "FILE",
    help: "file holding a token that may only read",
  },
  "tls-cert": { env: "PHOENIX_TLS_CERT", value: "FILE", help: "TLS certificate chain (PEM)" },
  "tls-key": { env: "PHOENIX_TLS_KEY", value: "FILE", help: "TLS private key (PEM)" },
  "tls-ca": { env: "PHOENIX_TLS_CA", value: "FILE", help: "CA bundle; when set, clients need a certificate" },
  "heartbeat-interval": {
    env: "PHOENIX_HEARTBEAT_INTERVAL",
    value: "DURATION",
    help: "how often agents heartbeat (default 5s)",
  },
  "heartbeat-ttl": {
    env: "PHOENIX_HEARTBEAT_TTL",
    value: "DURATION",
    help: "silence before an agent counts as late (default 3 intervals)",
  },
  "heartbeat-grace": {
    env: "PHOENIX_HEARTBEAT_GRACE",
    value: "DURATION",
    help: "extra silence after the TTL before an agent is offline (default 5s)",
  },
  "drift-interval": {
    env: "PHOENIX_DRIFT_INTERVAL",
    value: "DURATION",
    help: "how often to compare the fleet with the model (default 60s, 0 = never)",
  },
  "reconcile-debounce": {
    env: "PHOENIX_RECONCILE_DEBOUNCE",
    value: "DURATION",
    help: "quiet time before a changed guest is reconciled (default 50ms)",
  },
  "no-auto-reconcile": {
    env: "PHOENIX_NO_AUTO_RECONCILE",
    boolean: true,
    help: "do not join and label guests on registration; only sync does",
  },
  "agent-bundle": {
    env: "PHOENIX_AGENT_BUNDLE",
    value: "FILE",
    help: "agent bundle served at /agent/phoenix-agent.mjs",
  },
  "install-script": {
    env: "PHOENIX_INSTALL_SCRIPT",
    value: "FILE",
    help: "install script served at /agent/install.sh",
  },
  "log-level": {
    env: "PHOENIX_LOG_LEVEL",
    value: "LEVEL",
    help: "trace, debug, info, warn or error (default info)",
  },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;
type Raw = Partial<Record<OptionName, string>>;

function label(name: OptionName): string {
  return `--${name} (${OPTIONS[name].env})`;
}

const duration = (name: OptionName) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${label(name)}: "${text}" is not a duration like 500ms, 2s or 1m`,
      });
      return z.NEVER;
    }
    return ms;
  });

const address = (name: OptionName, expected = "HOST:PORT") =>
  z.string().transform((text, ctx) => {
    const parsed = parseListen(text);
    if (!parsed) {
      ctx.addIssue({ code: "custom", message: `${label(name)}: "${text}" is not ${expected}` });
      return z.NEVER;
    }
    return parsed;
  });

const required = (name: OptionName) =>
  z.string({ error: `${label(name)} is required` }).min(1, `${label(name)} is empty`);

const schema = z
  .object({
    model: required("model"),
    "state-dir": required("state-dir"),
    listen: address("listen").default({ host: "0.0.0.0", port: 7443 }),
    "http-listen": z
      .string()
      .default(DEFAULT_HTTP_LISTEN)
      .transform((text) => (text.trim().toLowerCase() === "off" ? undefined : text))
      .pipe(address("http-listen", "HOST:PORT or off").optional()),
    nats: z
      .string()
      .regex(/^(nats|tls|wss?):\/\/[^\s]+$/, `${label("nats")}: expected a URL like nats://127.0.0.1:4222`)
      .optional(),
    "enrollment-token-file": required("enrollment-token-file"),
    "api-token-file": required("api-token-file"),
    "read-only-token-file": z.string().min(1).optional(),
    "tls-cert": z.string().min(1).optional(),
    "tls-key": z.string().min(1).optional(),
    "tls-ca": z.string().min(1).optional(),
    "heartbeat-interval": duration("heartbeat-interval").default(5_000),
    "heartbeat-ttl": duration("heartbeat-ttl").optional(),
    "heartbeat-grace": duration("heartbeat-grace").default(5_000),
    "drift-interval": duration("drift-interval").default(60_000),
    "reconcile-debounce": duration("reconcile-debounce").default(50),
    "no-auto-reconcile": z.enum(["true", "false", "1", "0", ""]).optional(),
    "agent-bundle": z.string().min(1).optional(),
    "install-script": z.string().min(1).optional(),
    "log-level": z
      .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
        error: `${label("log-level")}: expected trace, debug, info, warn, error or silent`,
      })
      .default("info"),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c["tls-cert"]) !== Boolean(c["tls-key"])) {
      ctx.addIssue({ code: "custom", message: `${label("tls-cert")} and ${label("tls-key")} go together` });
    }
    if (c["tls-ca"] && !c["tls-cert"]) {
      ctx.addIssue({
        code: "custom",
        message: `${label("tls-ca")} needs ${label("tls-cert")} and --tls-key`,
      });
    }
    if (c["heartbeat-interval"] < 100) {
      ctx.addIssue({ code: "custom", message: `${label("heartbeat-interval")} must be at least 100ms` });
    }
    const ttl = c["heartbeat-ttl"];
    if (ttl !== undefined && ttl < c["heartbeat-interval"]) {
      ctx.addIssue({
        code: "custom",
        message: `${label("heartbeat-ttl")} must be at least the heartbeat interval`,
      });
    }
  });

/** Parses "host:port", "[v6]:port" or ":port"; undefined when malformed. */
export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65_535) return undefined;
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** Formats an address for grpc-js / logs ("[::1]:7443" for IPv6). */
export function formatListen(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function configError(message: string, cause?: unknown): PhoenixError {
  return new PhoenixError(ErrorCode.INVALID_CONFIG, message, { cause });
}

function readToken(name: OptionName, file: string): Secret {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw configError(`${label(name)}: cannot read ${file} (${reason})`, err);
  }
  const token = text.trim();
  if (token.length === 0) throw configError(`${label(name)}: ${file} is empty`);
  if (/\s/.test(token)) throw configError(`${label(name)}: ${file} must hold one token on one line`);
  return new Secret(token);
}

function mustBeDir(name: OptionName, dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw configError(`${label(name)}: ${dir} does not exist`);
  }
  if (!isDir) throw configError(`${label(name)}: ${dir} is not a directory`);
}

/** Where the agent bundle and install script are by default: beside the install, found from this file. */
export function defaultAssetPaths(here: string): { agentBundle: string; installScript: string } {
  // Bundled: <root>/coordinator/dist/phoenix-coordinator.mjs; from source: <root>/coordinator/src/config.ts.
  const root = resolve(dirname(here), "..", "..");
  return {
    agentBundle: resolve(root, "agents/node-agent/dist/phoenix-agent.mjs"),
    installScript: resolve(root, "deploy/install-agent.sh"),
  };
}

/** Result of reading the command line: a config to run, or a text to print and exit with. */
export type ParsedCommandLine = { kind: "run"; config: CoordinatorConfig } | { kind: "print"; text: string };

/** Reads flags over PHOENIX_* variables, validates them, reads the token files. Throws INVALID_CONFIG. */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  assets: { agentBundle: string; installScript: string },
): ParsedCommandLine {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, spec]) => [
      name,
      { type: "boolean" in spec ? ("boolean" as const) : ("string" as const) },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" }, version: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw configError(`${(err as Error).message.split("\n")[0]} (see --help)`, err);
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (flags.help) return { kind: "print", text: helpText() };
  if (flags.version) return { kind: "print", text: VERSION };

  const raw: Raw = {};
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const flag = flags[name];
    const value = flag === undefined ? env[spec.env] : String(flag);
    if (value !== undefined && value !== "") raw[name] = value;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const messages = result.error.issues.map((i) => i.message);
    throw configError(`invalid configuration: ${messages.join("; ")}`);
  }
  const c = result.data;
  const modelDir = resolve(c.model);
  mustBeDir("model", modelDir);
  const enrollmentToken = readToken("enrollment-token-file", c["enrollment-token-file"]);
  const apiToken = readToken("api-token-file", c["api-token-file"]);
  const readOnlyToken = c["read-only-token-file"]
    ? readToken("read-only-token-file", c["read-only-token-file"])
    : undefined;
  if (apiToken.reveal() === enrollmentToken.reveal()) {
    throw configError(
      "the API token and the enrollment token must differ: every agent knows the enrollment token",
    );
  }
  if (readOnlyToken && readOnlyToken.reveal() === apiToken.reveal()) {
    throw configError("the read-only token and the API token must differ");
  }
  const interval = c["heartbeat-interval"];
  const config: CoordinatorConfig = {
    modelDir,
    stateDir: resolve(c["state-dir"]),
    listen: c.listen,
    enrollmentToken,
    apiToken,
    heartbeatIntervalMs: interval,
    heartbeatTtlMs: c["heartbeat-ttl"] ?? interval * 3,
    heartbeatGraceMs: c["heartbeat-grace"],
    driftIntervalMs: c["drift-interval"],
    reconcileDebounceMs: c["reconcile-debounce"],
    autoReconcile: !["true", "1", ""].includes(c["no-auto-reconcile"] ?? "false"),
    agentBundle: resolve(c["agent-bundle"] ?? assets.agentBundle),
    installScript: resolve(c["install-script"] ?? assets.installScript),
    logLevel: c["log-level"],
  };
  if (c["http-listen"]) config.httpListen = c["http-listen"];
  if (c.nats) config.natsUrl = c.nats;
  if (readOnlyToken) config.readOnlyToken = readOnlyToken;
  if (c["tls-cert"] && c["tls-key"]) {
    config.tls = { certFile: resolve(c["tls-cert"]), keyFile: resolve(c["tls-key"]) };
    if (c["tls-ca"]) config.tls.caFile = resolve(c["tls-ca"]);
  }
  return { kind: "run", config };
}

/** Version of the coordinator, reported by --version and GetStatus. */
export const VERSION = "0.1.0";

/** The --help text. */
export function helpText(): string {
  const rows = (Object.entries(OPTIONS) as [OptionName, OptionSpec][]).map(([name, spec]) => {
    const flag = `--${name}${spec.value ? ` ${spec.value}` : ""}`;
    return `  ${flag.padEnd(34)} ${spec.help}\n  ${"".padEnd(34)} env ${spec.env}`;
  });
  return [
    "phoenix-coordinator: holds the declarative model and converges the fleet through its agents",
    "",
    "Usage: phoenix-coordinator --model DIR --state-dir DIR --enrollment-token-file F --api-token-file F [options]",
    "",
    "Options (flags win over PHOENIX_* variables):",
    ...rows,
    "  -h, --help                         this text",
    "  --version                          print the version",
    "",
    "Example:",
    "  phoenix-coordinator --model ./model --state-dir /var/lib/phoenix --listen 0.0.0.0:7443 \\",
    "    --http-listen 0.0.0.0:7480 --nats nats://127.0.0.1:4222 \\",
    "    --enrollment-token-file /etc/phoenix/enrollment.token --api-token-file /etc/phoenix/api.token",
  ].join("\n");
}
