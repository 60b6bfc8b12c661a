import { type ComposeDict, type ComposeValue, isDict } from "./compose-yaml";
import { parseGoFloat } from "./go-units";

/** Looks a variable up: its value, or `undefined` when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** Why a string could not be interpolated. */
export class TemplateError extends Error {}

const PATTERN =
  /\$(?:(?<escaped>\$)|(?<named>[_a-z][_a-z0-9]*(?::?[-?][^}]*)?)|\{(?<braced>[_a-z][_a-z0-9]*(?::?[-?][^}]*)?)\}|(?<invalid>))/gi;

type SubstituteFn = (substitution: string, lookup: Lookup) => { value: string } | undefined;

function cut(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + sep.length)];
}

function required(sep: string, valid: (v: string) => boolean): SubstituteFn {
  return (substitution, lookup) => {
    if (!substitution.includes(sep)) return undefined;
    const [name, message] = cut(substitution, sep);
    const value = lookup(name);
    if (value === undefined || !valid(value)) {
      throw new TemplateError(`required variable ${name} is missing a value: ${message}`);
    }
    return { value };
  };
}

// The order matters and is Docker's: a `-` inside a `${VAR:?message}` makes Docker read the
// rest as a default value, and Phoenix gives the same result.
const SUBSTITUTIONS: SubstituteFn[] = [
  (substitution, lookup) => {
    if (!substitution.includes(":-")) return undefined;
    const [name, fallback] = cut(substitution, ":-");
    const value = lookup(name);
    return { value: value === undefined || value === "" ? fallback : value };
  },
  (substitution, lookup) => {
    if (!substitution.includes("-")) return undefined;
    const [name, fallback] = cut(substitution, "-");
    return { value: lookup(name) ?? fallback };
  },
  required(":?", (v) => v !== ""),
  required("?", () => true),
];

/** What interpolating one string noticed besides its result. */
export interface SubstituteNotes {
  unset: string[];
}

/**
 * Compose variable substitution: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}` and `$$` for a literal `$`. Throws `TemplateError`.
 */
export function substitute(template: string, lookup: Lookup, notes?: SubstituteNotes): string {
  return template.replace(PATTERN, (...args) => {
    const groups = args[args.length - 1] as Record<string, string | undefined>;
    if (groups.escaped) return groups.escaped;
    const substitution = groups.named || groups.braced;
    if (!substitution) throw new TemplateError(`Invalid template: ${JSON.stringify(template)}`);
    for (const fn of SUBSTITUTIONS) {
      const applied = fn(substitution, lookup);
      if (applied) return applied.value;
    }
    const value = lookup(substitution);
    if (value === undefined) notes?.unset.push(substitution);
    return value ?? "";
  });
}

type Cast = (value: string) => ComposeValue;

function toInt(value: string): ComposeValue {
  if (!/^[+-]?[0-9]+$/.test(value))
    throw new Error(`strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`);
  return Number(value);
}

function toFloat(value: string): ComposeValue {
  const n = parseGoFloat(value);
  if (n === undefined) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  return n;
}

function toBoolean(value: string): ComposeValue {
  switch (value.toLowerCase()) {
    case "y":
    case "yes":
    case "true":
    case "on":
      return true;
    case "n":
    case "no":
    case "false":
    case "off":
      return false;
    default:
      throw new Error(`invalid boolean: ${value}`);
  }
}

// Paths whose interpolated value becomes a number or boolean (only when a variable was actually
// substituted: a literal "3" stays a string and schema validation rejects it, as in Docker).
const CASTS: [string, Cast][] = [
  ["services.*.configs.[].mode", toInt],
  ["services.*.secrets.[].mode", toInt],
  ["services.*.healthcheck.retries", toInt],
  ["services.*.healthcheck.disable", toBoolean],
  ["services.*.deploy.replicas", toInt],
  ["services.*.deploy.update_config.parallelism", toInt],
  ["services.*.deploy.update_config.max_failure_ratio", toFloat],
  ["services.*.deploy.rollback_config.parallelism", toInt],
  ["services.*.deploy.rollback_config.max_failure_ratio", toFloat],
  ["services.*.deploy.restart_policy.max_attempts", toInt],
  ["services.*.deploy.placement.max_replicas_per_node", toInt],
  ["services.*.ports.[].target", toInt],
  ["services.*.ports.[].published", toInt],
  ["services.*.ulimits.*", toInt],
  ["services.*.ulimits.*.hard", toInt],
  ["services.*.ulimits.*.soft", toInt],
  ["services.*.privileged", toBoolean],
  ["services.*.read_only", toBoolean],
  ["services.*.stdin_open", toBoolean],
  ["services.*.tty", toBoolean],
  ["services.*.volumes.[].read_only", toBoolean],
  ["services.*.volumes.[].volume.nocopy", toBoolean],
  ["networks.*.external", toBoolean],
  ["networks.*.internal", toBoolean],
  ["networks.*.attachable", toBoolean],
  ["volumes.*.external", toBoolean],
  ["secrets.*.external", toBoolean],
  ["configs.*.external", toBoolean],
];

function castFor(path: string[]): Cast | undefined {
  for (const [pattern, cast] of CASTS) {
    const parts = pattern.split(".");
    if (parts.length !== path.length) continue;
    if (parts.every((p, i) => p === "*" || p === path[i])) return cast;
  }
  return undefined;
}

/** A failed interpolation, with the dotted path Docker reports (`services.web.image`). */
export class InterpolationError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Result of interpolating a whole compose file. */
export interface Interpolated {
  config: ComposeDict;
  /** Variables used but not set, with the first path that used each. */
  unset: { name: string; path: string }[];
}

/** Interpolates every string of a compose file and casts typed fields (ports, replicas, ...). */
export function interpolateConfig(config: ComposeDict, lookup: Lookup): Interpolated {
  const unset: { name: string; path: string }[] = [];
  const walk = (value: ComposeValue, path: string[]): ComposeValue => {
    if (typeof value === "string") {
      const notes: SubstituteNotes = { unset: [] };
      let out: string;
      try {
        out = substitute(value, lookup, notes);
      } catch (e) {
        const where = path.join(".");
        if (e instanceof TemplateError && e.message.startsWith("Invalid template")) {
          throw new InterpolationError(
            where,
            `invalid interpolation format for ${where}: ${JSON.stringify(value)}; you may need to escape any $ with another $`,
          );
        }
        throw new InterpolationError(where, `error while interpolating ${where}: ${(e as Error).message}`);
      }
      for (const name of notes.unset) {
        if (!unset.some((u) => u.name === name)) unset.push({ name, path: path.join(".") });
      }
      if (out === value) return value;
      const cast = castFor(path);
      if (!cast) return out;
      try {
        return cast(out);
      } catch (e) {
        const where = path.join(".");
        throw new InterpolationError(
          where,
          `error while interpolating ${where}: failed to cast to expected type: ${(e as Error).message}`,
        );
      }
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, [...path, "[]"]));
    if (isDict(value)) {
      const out: ComposeDict = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return value;
  };
  const out: ComposeDict = {};
  for (const [k, v] of Object.entries(config)) out[k] = walk(v, [k]);
  return { config: out, unset };
}
