import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Node as YamlNode } from "yaml";

/**
 * A YAML float, kept apart from integers because Docker turns `1e6` (a float) into "1e+06" and
 * `1000000` (an integer) into "1000000" wherever a number becomes a string.
 */
export class YamlFloat {
  constructor(readonly value: number) {}
}

/**
 * A YAML timestamp (`2024-01-01`). Docker's parser reads it as a time and prints it back in Go's
 * form ("2024-01-01 00:00:00 +0000 UTC") wherever a string is expected; `text` is that form.
 */
export class YamlTimestamp {
  constructor(readonly text: string) {}
}

/** A value of a parsed compose file, with Docker's (go-yaml v3) scalar types. */
export type ComposeValue =
  | string
  | number
  | boolean
  | null
  | YamlFloat
  | YamlTimestamp
  | ComposeValue[]
  | ComposeDict;
/** A YAML mapping with string keys. */
export interface ComposeDict {
  [key: string]: ComposeValue;
}

/** True for a mapping (not a list, not a float or timestamp). */
export function isDict(v: unknown): v is ComposeDict {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof YamlFloat) &&
    !(v instanceof YamlTimestamp)
  );
}

/** The number behind an integer or a float. */
export function numberOf(v: ComposeValue): number | undefined {
  if (typeof v === "number") return v;
  if (v instanceof YamlFloat) return v.value;
  return undefined;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const RESOLVE_MAP: Record<string, ComposeValue> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
  "": null,
  "~": null,
  null: null,
  Null: null,
  NULL: null,
  ".nan": new YamlFloat(Number.NaN),
  ".NaN": new YamlFloat(Number.NaN),
  ".NAN": new YamlFloat(Number.NaN),
  ".inf": new YamlFloat(Number.POSITIVE_INFINITY),
  ".Inf": new YamlFloat(Number.POSITIVE_INFINITY),
  ".INF": new YamlFloat(Number.POSITIVE_INFINITY),
  "+.inf": new YamlFloat(Number.POSITIVE_INFINITY),
  "+.Inf": new YamlFloat(Number.POSITIVE_INFINITY),
  "+.INF": new YamlFloat(Number.POSITIVE_INFINITY),
  "-.inf": new YamlFloat(Number.NEGATIVE_INFINITY),
  "-.Inf": new YamlFloat(Number.NEGATIVE_INFINITY),
  "-.INF": new YamlFloat(Number.NEGATIVE_INFINITY),
};

/** Go's `strconv.ParseInt(s, 0, 64)` / `ParseUint`: prefixes 0x, 0o, 0b and a leading 0 (octal). */
function parseGoInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  let digits = m[2] as string;
  if (/^0[oO]/.test(digits)) digits = `0o${digits.slice(2)}`;
  else if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
  const v = BigInt(digits) * (m[1] === "-" ? -1n : 1n);
  if (v < -(2n ** 63n) || v > 2n ** 64n - 1n) return undefined;
  if (m[1] === "-" || v < 2n ** 63n) return v;
  return m[1] === "+" ? undefined : v;
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** go-yaml's timestamp forms, printed as Go prints a `time.Time`; `undefined` if not one. */
function parseTimestamp(s: string): YamlTimestamp | undefined {
  if (!/^[0-9]{4}-/.test(s)) return undefined;
  const m =
    /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2}))|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]{1,9}))?))?$/.exec(
      s,
    );
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate())
    return undefined;
  const hour = Number(m[4] ?? m[9] ?? 0);
  const minute = Number(m[5] ?? m[10] ?? 0);
  const second = Number(m[6] ?? m[11] ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = (m[7] ?? m[12] ?? "").replace(/0+$/, "");
  const zone = m[8];
  const clock = `${twoDigits(hour)}:${twoDigits(minute)}:${twoDigits(second)}${fraction ? `.${fraction}` : ""}`;
  const date = `${m[1]}-${twoDigits(month)}-${twoDigits(day)}`;
  if (!zone || zone === "Z") return new YamlTimestamp(`${date} ${clock} +0000 UTC`);
  const offset = zone.replace(":", "");
  return new YamlTimestamp(`${date} ${clock} ${offset} ${offset}`);
}

/** Resolves an untagged plain scalar the way go-yaml v3 does (YAML 1.2 core plus its extras). */
export function resolvePlainScalar(text: string): ComposeValue {
  if (Object.hasOwn(RESOLVE_MAP, text)) return RESOLVE_MAP[text] as ComposeValue;
  const first = text[0] ?? "";
  if (first === ".") {
    return /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(text) ? new YamlFloat(Number(text)) : text;
  }
  if (!/[-+0-9]/.test(first)) return text;
  const timestamp = parseTimestamp(text);
  if (timestamp) return timestamp;
  const plain = text.replaceAll("_", "");
  const int = parseGoInt(plain);
  if (int !== undefined) {
    return Number.isSafeInteger(Number(int)) ? Number(int) : int.toString();
  }
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return new YamlFloat(f);
  }
  return text;
}

/**
 * Parses a compose file the way Docker's parser (go-yaml v3) does: only `true`/`false` are
 * booleans (`yes`, `on` stay strings), `0644` is octal, `8080:80` stays a string, dates become
 * timestamps, keys must be strings, `<<` merges. Throws a PhoenixError (INVALID_COMPOSE).
 */
export function parseComposeYaml(text: string, file?: string): ComposeDict {
  const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: true, merge: false });
  const problem = doc.errors[0];
  if (problem) {
    throw new PhoenixError(ErrorCode.INVALID_COMPOSE, `invalid YAML: ${problem.message.split("\n")[0]}`, {
      place: { file },
    });
  }
  const value = toValue(doc.contents as YamlNode | null, "", file, doc);
  if (!isDict(value)) {
    throw new PhoenixError(ErrorCode.INVALID_COMPOSE, "top-level object must be a mapping", {
      place: { file },
    });
  }
  return value;
}

type Doc = ReturnType<typeof parseDocument>;

function scalarValue(node: Scalar, path: string, file: string | undefined): ComposeValue {
  const raw = node.value === null || node.value === undefined ? "" : String(node.value);
  const tag = node.tag;
  if (tag === "tag:yaml.org,2002:str" || tag === "!!str") return raw;
  if (node.type !== Scalar.PLAIN && !tag) return raw;
  const value = resolvePlainScalar(raw);
  if (value instanceof YamlFloat && !Number.isFinite(value.value)) {
    throw new PhoenixError(ErrorCode.INVALID_COMPOSE, `${path || "value"}: ${raw} is not a finite number`, {
      place: { file, path: path || undefined },
    });
  }
  return value;
}

function toValue(node: YamlNode | null, path: string, file: string | undefined, doc: Doc): ComposeValue {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return scalarValue(node, path, file);
  if (isSeq(node)) {
    return node.items.map((item, i) => toValue(item as YamlNode, `${path}[${i}]`, file, doc));
  }
  if (isMap(node)) {
    const out: ComposeDict = {};
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      if (isScalar(keyNode) && keyNode.type === Scalar.PLAIN && keyNode.value === "<<") {
        mergeInto(out, pair.value as YamlNode, path, file, doc);
        continue;
      }
      const key = keyNode === null ? null : toValue(keyNode, path, file, doc);
      if (typeof key !== "string") {
        const where = path === "" ? "at top level" : `in ${path}`;
        const shown = isScalar(keyNode) ? (keyNode.source ?? String(keyNode.value)) : "a collection";
        throw new PhoenixError(ErrorCode.INVALID_COMPOSE, `non-string key ${where}: ${shown}`, {
          place: { file, path: path || undefined },
        });
      }
      out[key] = toValue(pair.value as YamlNode, path === "" ? key : `${path}.${key}`, file, doc);
    }
    return out;
  }
  if (isAlias(node)) {
    const target = node.resolve(doc) as YamlNode | undefined;
    return target ? toValue(target, path, file, doc) : null;
  }
  return null;
}

function mergeInto(
  out: ComposeDict,
  source: YamlNode,
  path: string,
  file: string | undefined,
  doc: Doc,
): void {
  const sources = isSeq(source) ? (source.items as YamlNode[]) : [source];
  for (const s of sources) {
    const v = toValue(s, path, file, doc);
    if (!isDict(v)) {
      throw new PhoenixError(ErrorCode.INVALID_COMPOSE, "merge key `<<` needs a mapping", {
        place: { file, path: path || undefined },
      });
    }
    for (const [k, val] of Object.entries(v)) if (!(k in out)) out[k] = val;
  }
}
