import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";

/** Default coordinator address when nothing else is configured. */
export const DEFAULT_COORDINATOR = "127.0.0.1:7443";

/** How the CLI reaches the coordinator. */
export interface Connection {
  coordinator: string;
  token?: string;
  tlsCa?: string;
  timeoutMs: number;
}

/** Global flags as commander parses them. */
export interface GlobalFlags {
  coordinator?: string;
  token?: string;
  tokenFile?: string;
  tlsCa?: string;
  config?: string;
  timeout?: string;
}

interface FileConfig {
  coordinator?: string;
  token?: string;
  token_file?: string;
  tls_ca?: string;
}

function readToken(path: string, from: string): string {
  try {
    const token = readFileSync(path, "utf8").trim();
    if (!token) throw new Error("the file is empty");
    return token;
  } catch (err) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `cannot read the token file ${path} (${from}): ${(err as Error).message}`,
    );
  }
}

function readConfigFile(path: string, explicit: boolean): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `cannot read the config file ${path}: ${(err as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PhoenixError(ErrorCode.INVALID_CONFIG, `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new PhoenixError(ErrorCode.INVALID_CONFIG, `${path} must hold a JSON object`);
  }
  const known = new Set(["coordinator", "token", "token_file", "tls_ca"]);
  for (const [k, v] of Object.entries(parsed)) {
    if (!known.has(k)) {
      throw new PhoenixError(
        ErrorCode.INVALID_CONFIG,
        `${path}: unknown key "${k}" (known: ${[...known].join(", ")})`,
      );
    }
    if (typeof v !== "string")
      throw new PhoenixError(ErrorCode.INVALID_CONFIG, `${path}: "${k}" must be a string`);
  }
  return parsed as FileConfig;
}

/** Parses "30s", "2m", "1500ms" or plain seconds into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m)
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `"${text}" is not a duration (examples: 500ms, 30s, 5m)`,
    );
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(n * unit);
}

/** Resolves the connection: flags, then PHOENIX_* variables, then the config file. */
export function resolveConnection(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const explicitConfig = flags.config ?? env.PHOENIX_CONFIG;
  const configPath =
    explicitConfig ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "phoenix", "cli.json");
  const file = readConfigFile(configPath, explicitConfig !== undefined);

  let token: string | undefined;
  if (flags.token) token = flags.token;
  else if (flags.tokenFile) token = readToken(flags.tokenFile, "--token-file");
  else if (env.PHOENIX_TOKEN) token = env.PHOENIX_TOKEN;
  else if (env.PHOENIX_TOKEN_FILE) token = readToken(env.PHOENIX_TOKEN_FILE, "PHOENIX_TOKEN_FILE");
  else if (file.token) token = file.token;
  else if (file.token_file) token = readToken(file.token_file, configPath);

  const coordinator = flags.coordinator ?? env.PHOENIX_COORDINATOR ?? file.coordinator ?? DEFAULT_COORDINATOR;
  if (!/^[\w.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$|^unix:/.test(coordinator)) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `coordinator address "${coordinator}" must be host:port`,
    );
  }
  const tlsCa = flags.tlsCa ?? env.PHOENIX_TLS_CA ?? file.tls_ca;
  const timeoutMs = parseDuration(flags.timeout ?? env.PHOENIX_TIMEOUT ?? "30s");
  return { coordinator, timeoutMs, ...(token ? { token } : {}), ...(tlsCa ? { tlsCa } : {}) };
}
