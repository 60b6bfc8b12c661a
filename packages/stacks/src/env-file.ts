import type { Lookup } from "./interpolation";

/** One parsed line of an env file: `value` is absent for a bare `KEY` the lookup did not know. */
export interface EnvEntry {
  key: string;
  value: string;
}

/**
 * Parses an env file as Docker does (`env_file:` and `.env`): leading blanks and `#` comment
 * lines are skipped, `KEY=VALUE` is taken verbatim (no quote removal, trailing blanks kept), and
 * a bare `KEY` takes its value from `lookup` or is dropped. Throws with the reason on a bad line.
 */
export function parseEnvFile(text: string, lookup?: Lookup): EnvEntry[] {
  const out: EnvEntry[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === "") throw new Error(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      out.push({ key, value: line.slice(eq + 1) });
      continue;
    }
    const found = lookup?.(line);
    if (found !== undefined) out.push({ key, value: found });
  }
  return out;
}
