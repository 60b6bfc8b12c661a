import { readFileSync } from "node:fs";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { TlsFiles } from "@phoenix/proto";
import * as z from "zod/mini";
import { LOG_LEVELS, type LogLevel } from "./logger";
import { redact } from "./redact";

const path = z.string({ error: "must be a path" }).check(z.minLength(1, { error: "must not be empty" }));
const HOST_PORT = 'must be "host:port", e.g. "10.0.0.5:7443"';
const hostPort = z.string({ error: HOST_PORT }).check(
  z.regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):([0-9]{1,5})$/, { error: HOST_PORT }),
  z.refine(
    (s) => {
      const port = Number(s.slice(s.lastIndexOf(":") + 1));
      return port >= 1 && port <= 65_535;
    },
    { error: "port must be between 1 and 65535" },
  ),
);
const VMID = "must be a Proxmox vmid (100 to 999999999)";

/** Every configuration field: its schema, its PHOENIX_* variable and its flag (none for secrets). */
const FIELDS = {
  coordinator: { env: "PHOENIX_COORDINATOR", flag: "coordinator", schema: hostPort },
  enrollmentToken: {
    env: "PHOENIX_ENROLLMENT_TOKEN",
    flag: undefined,
    schema: z
      .string({ error: "must be a string" })
      .check(z.regex(/^[\x21-\x7e]+$/, { error: "must be printable ASCII without spaces" })),
  },
  enrollmentTokenFile: { env: "PHOENIX_ENROLLMENT_TOKEN_FILE", flag: "enrollment-token-file", schema: path },
  agentId: {
    env: "PHOENIX_AGENT_ID",
    flag: "agent-id",
    schema: z
      .string({ error: "must be a string" })
      .check(
        z.regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: "must be 1-128 characters of A-Z a-z 0-9 . _ : -" }),
      ),
  },
  vmid: {
    env: "PHOENIX_VMID",
    flag: "vmid",
    schema: z
      .int({ error: "must be a whole number" })
      .check(z.gte(100, { error: VMID }), z.lte(999_999_999, { error: VMID })),
  },
  dockerSocket: { env: "PHOENIX_DOCKER_SOCKET", flag: "docker-socket", schema: path },
  nvidiaSmi: { env: "PHOENIX_NVIDIA_SMI", flag: "nvidia-smi", schema: path },
  tlsCa: { env: "PHOENIX_TLS_CA", flag: "tls-ca", schema: path },
  tlsCert: { env: "PHOENIX_TLS_CERT", flag: "tls-cert", schema: path },
  tlsKey: { env: "PHOENIX_TLS_KEY", flag: "tls-key", schema: path },
  stateDir: { env: "PHOENIX_STATE_DIR", flag: "state-dir", schema: path },
  logLevel: {
    env: "PHOENIX_LOG_LEVEL",
    flag: "log-level",
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }),
  },
} as const;

/** Name of a configuration field as written in the JSON config file. */
export type ConfigField = keyof typeof FIELDS;

/** Flags of `phoenix-agent run` that set a config field, e.g. "docker-socket". */
export const CONFIG_FLAGS: readonly string[] = Object.values(FIELDS)
  .map((f) => f.flag)
  .filter((f): f is NonNullable<typeof f> => f !== undefined);

/** The agent's validated configuration. */
export interface AgentConfig {
  /** Coordinator address, host:port. */
  coordinator: string;
  /** Enrollment token (from the config, the environment or a token file). Never logged. */
  enrollmentToken: string;
  /** Agent identity override; the machine id is used when unset. */
  agentId?: string;
  /** Proxmox vmid of this guest, when the operator knows it. */
  vmid?: number;
  /** Local Docker socket path. */
  dockerSocket: string;
  /** nvidia-smi executable (a path or a name looked up on PATH). */
  nvidiaSmi: string;
  /** TLS files for the coordinator connection; plaintext when empty. */
  tls: TlsFiles;
  /** Directory for state that survives restarts (known command results); none when unset. */
  stateDir?: string;
  /** Log level. */
  logLevel: LogLevel;
  /** Where each field that was set came from, e.g. "env PHOENIX_VMID"; for the startup log. */
  sources: Partial<Record<ConfigField, string>>;
}

/** The subset of the configuration `phoenix-agent inventory` reads. */
export type InventoryConfig = Pick<AgentConfig, "vmid" | "dockerSocket" | "nvidiaSmi" | "logLevel">;

/** Raw inputs of the configuration, lowest precedence first: file, then environment, then flags. */
export interface ConfigInput {
  /** Path of the JSON config file, if one was given. */
  file?: string;
  /** Environment (PHOENIX_* variables are read). */
  env: Record<string, string | undefined>;
  /** Flag values by flag name without dashes, e.g. { "docker-socket": "/run/docker.sock" }. */
  flags: Record<string, string | undefined>;
}

type Source = { label: string; file?: string; path?: string };

const DEFAULTS: Partial<Record<ConfigField, unknown>> = {
  dockerSocket: "/var/run/docker.sock",
  nvidiaSmi: "nvidia-smi",
  logLevel: "info",
};

const INT_FIELDS = new Set<ConfigField>(["vmid"]);
const TOKEN_FIELDS: readonly ConfigField[] = ["enrollmentToken", "enrollmentTokenFile"];

function fromText(field: ConfigField, text: string): unknown {
  if (INT_FIELDS.has(field) && /^[0-9]+$/.test(text.trim())) return Number(text.trim());
  return text;
}

function configError(problems: PhoenixError[]): PhoenixError {
  if (problems.length === 1) {
    const p = problems[0]!;
    return new PhoenixError(ErrorCode.INVALID_CONFIG, `invalid agent configuration: ${p.message}`, {
      place: p.place,
    });
  }
  return new PhoenixError(
    ErrorCode.INVALID_CONFIG,
    `invalid agent configuration (${problems.length} problems)`,
    {
      details: problems,
    },
  );
}

function readConfigFile(file: string, readFile: (p: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
    throw configError([
      new PhoenixError(ErrorCode.INVALID_CONFIG, `cannot read config file (${why})`, { place: { file } }),
    ]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the input in its message; report only the position so no secret leaks.
    const pos = /position (\d+)/.exec((err as Error).message)?.[1];
    let where = "";
    if (pos !== undefined) {
      const before = text.slice(0, Number(pos));
      const line = before.split("\n").length;
      where = ` (line ${line}, column ${Number(pos) - before.lastIndexOf("\n")})`;
    }
    throw configError([
      new PhoenixError(ErrorCode.INVALID_CONFIG, `config file is not valid JSON${where}`, {
        place: { file },
      }),
    ]);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw configError([
      new PhoenixError(ErrorCode.INVALID_CONFIG, "config file must hold a JSON object", {
        place: { file, path: "$" },
      }),
    ]);
  }
  return data as Record<string, unknown>;
}

/**
 * Resolves the configuration from the config file, PHOENIX_* variables and flags (flags win over
 * the environment, which wins over the file; the token and token file count as one setting).
 * A bad configuration throws one INVALID_CONFIG PhoenixError naming each field and its source.
 */
export function loadConfig(
  input: ConfigInput,
  mode: "run" | "inventory" = "run",
  readFile: (p: string) => string = (p) => readFileSync(p, "utf8"),
): AgentConfig {
  const values = new Map<ConfigField, unknown>();
  const sources = new Map<ConfigField, Source>();
  const problems: PhoenixError[] = [];
  const set = (field: ConfigField, value: unknown, source: Source) => {
    if (TOKEN_FIELDS.includes(field)) {
      // A token setting from a stronger source replaces both forms from weaker ones.
      for (const f of TOKEN_FIELDS) {
        const prev = sources.get(f);
        if (prev && prev.label.split(" ")[0] !== source.label.split(" ")[0]) {
          values.delete(f);
          sources.delete(f);
        }
      }
    }
    values.set(field, value);
    sources.set(field, source);
  };

  if (input.file) {
    const file = input.file;
    const data = readConfigFile(file, readFile);
    for (const [key, value] of Object.entries(data)) {
      if (!(key in FIELDS)) {
        problems.push(
          new PhoenixError(ErrorCode.INVALID_CONFIG, `unknown field "${key}" (in file ${file})`, {
            place: { file, path: `$.${key}` },
          }),
        );
        continue;
      }
      if (value === null || value === undefined) continue;
      set(key as ConfigField, value, { label: `file ${file}`, file, path: `$.${key}` });
    }
  }
  for (const [field, def] of Object.entries(FIELDS) as [ConfigField, (typeof FIELDS)[ConfigField]][]) {
    const text = input.env[def.env];
    if (text !== undefined && text !== "") set(field, fromText(field, text), { label: `env ${def.env}` });
  }
  for (const [field, def] of Object.entries(FIELDS) as [ConfigField, (typeof FIELDS)[ConfigField]][]) {
    const text = def.flag ? input.flags[def.flag] : undefined;
    if (text !== undefined) set(field, fromText(field, text), { label: `flag --${def.flag}` });
  }

  const secrets = [values.get("enrollmentToken")].filter((s): s is string => typeof s === "string");
  const fail = (field: ConfigField, message: string) => {
    const src = sources.get(field);
    const from = src ? ` (${src.label})` : "";
    problems.push(
      new PhoenixError(ErrorCode.INVALID_CONFIG, redact(`${field}${from}: ${message}`, secrets), {
        place: src?.file ? { file: src.file, path: src.path } : {},
      }),
    );
  };

  const out: Record<string, unknown> = {};
  for (const [field, def] of Object.entries(FIELDS) as [ConfigField, (typeof FIELDS)[ConfigField]][]) {
    const value = values.has(field) ? values.get(field) : DEFAULTS[field];
    if (value === undefined) continue;
    const parsed = (def.schema as z.ZodMiniType).safeParse(value);
    if (parsed.success) out[field] = parsed.data;
    else fail(field, parsed.error.issues[0]?.message ?? "invalid value");
  }

  if (mode === "run") {
    if (!values.has("coordinator")) {
      fail(
        "coordinator",
        'is required: set PHOENIX_COORDINATOR, --coordinator or "coordinator" in the config file',
      );
    }
    if (values.has("enrollmentToken") && values.has("enrollmentTokenFile")) {
      fail("enrollmentToken", "set either enrollmentToken or enrollmentTokenFile, not both");
    } else if (typeof out.enrollmentTokenFile === "string") {
      const file = out.enrollmentTokenFile;
      try {
        const token = readFile(file).trim();
        const check = FIELDS.enrollmentToken.schema.safeParse(token);
        if (!check.success) fail("enrollmentTokenFile", `token in ${file} ${check.error.issues[0]?.message}`);
        else out.enrollmentToken = token;
      } catch (err) {
        fail(
          "enrollmentTokenFile",
          `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`,
        );
      }
    } else if (!values.has("enrollmentToken")) {
      fail(
        "enrollmentToken",
        "is required: set PHOENIX_ENROLLMENT_TOKEN or PHOENIX_ENROLLMENT_TOKEN_FILE, or enrollmentToken / enrollmentTokenFile in the config file",
      );
    }
    if (values.has("tlsCert") !== values.has("tlsKey")) {
      fail(values.has("tlsCert") ? "tlsKey" : "tlsCert", "tlsCert and tlsKey must be set together");
    }
  }
  if (problems.length > 0) throw configError(problems);

  const cfg: AgentConfig = {
    coordinator: (out.coordinator as string | undefined) ?? "",
    enrollmentToken: (out.enrollmentToken as string | undefined) ?? "",
    dockerSocket: out.dockerSocket as string,
    nvidiaSmi: out.nvidiaSmi as string,
    logLevel: out.logLevel as LogLevel,
    tls: {},
    sources: Object.fromEntries([...sources].map(([f, s]) => [f, s.label])),
  };
  if (out.agentId !== undefined) cfg.agentId = out.agentId as string;
  if (out.vmid !== undefined) cfg.vmid = out.vmid as number;
  if (out.stateDir !== undefined) cfg.stateDir = out.stateDir as string;
  if (out.tlsCa !== undefined) cfg.tls.caFile = out.tlsCa as string;
  if (out.tlsCert !== undefined) cfg.tls.certFile = out.tlsCert as string;
  if (out.tlsKey !== undefined) cfg.tls.keyFile = out.tlsKey as string;
  return cfg;
}

/** A log-safe summary of the configuration: every field but the token, whose source is named instead. */
export function describeConfig(cfg: AgentConfig): Record<string, unknown> {
  return {
    coordinator: cfg.coordinator,
    tokenFrom: cfg.sources.enrollmentTokenFile ?? cfg.sources.enrollmentToken,
    agentId: cfg.agentId,
    vmid: cfg.vmid,
    dockerSocket: cfg.dockerSocket,
    nvidiaSmi: cfg.nvidiaSmi,
    tls: cfg.tls.caFile !== undefined || cfg.tls.certFile !== undefined,
    stateDir: cfg.stateDir,
    logLevel: cfg.logLevel,
  };
}
