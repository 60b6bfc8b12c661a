import type { JsonPathSegment } from "./json-path";

/** A 1-based line and column in a text file. */
export interface TextPosition {
  line: number;
  column: number;
}

/** A parsed JSON document that still knows where each value stood in the text. */
export interface JsonDocument {
  value: unknown;
  /** Position of the value at a path (`["vms", 2, "name"]`), if the path exists. */
  positionOf(path: readonly JsonPathSegment[]): TextPosition | undefined;
  /** Keys that appeared twice in one object (the last one wins, as in JSON.parse). */
  duplicateKeys: { path: JsonPathSegment[]; position: TextPosition }[];
}

/** Result of parsing JSON text: the document, or why and where it is not JSON. */
export type JsonParseResult =
  | { ok: true; doc: JsonDocument }
  | { ok: false; message: string; position: TextPosition };

const MAX_DEPTH = 256;
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Maps offsets to line/column using the offsets where lines start. */
function createLineIndex(text: string): (offset: number) => TextPosition {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/**
 * Parses JSON like JSON.parse, but reports syntax errors by line and column without echoing
 * the file's content (it may hold secrets), remembers where every value stood, and lists
 * duplicate keys. A leading byte-order mark is accepted.
 */
export function parseJsonText(text: string): JsonParseResult {
  // offsets of child values per container, so no path string is built while parsing
  const offsets = new WeakMap<object, Map<string, number> | number[]>();
  const duplicates: { path: JsonPathSegment[]; offset: number }[] = [];
  const path: JsonPathSegment[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describeAt = (at: number): string => {
    if (at >= text.length) return "end of file";
    const ch = text[at]!;
    return /[\x21-\x7e]/.test(ch)
      ? `'${ch}'`
      : `character U+${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
  };
  const skipWs = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = "";
    let chunk = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string", start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(chunk, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("control character in string (escape it)");
      if (c === 92) {
        out += text.slice(chunk, i);
        const e = text[i + 1]!;
        const simple = SIMPLE_ESCAPES[e];
        if (simple !== undefined) {
          out += simple;
          i += 2;
        } else if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("invalid \\u escape in string");
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
        } else {
          fail("invalid escape in string");
        }
        chunk = i;
        continue;
      }
      i++;
    }
  };

  const parseNumber = (): number => {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const found = m.exec(text);
    if (!found || found[0] === "-" || found[0].length === 0) fail(`unexpected ${describeAt(i)}`);
    i += found![0].length;
    const next = text.charCodeAt(i);
    if ((next >= 48 && next <= 57) || next === 46) fail("invalid number");
    return Number(found![0]);
  };

  const parseLiteral = (word: string, value: unknown): unknown => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail(`unexpected ${describeAt(i)}`);
  };

  const parseValue = (depth: number): unknown => {
    skipWs();
    const c = text[i];
    if (c === "{") return parseObject(depth + 1);
    if (c === "[") return parseArray(depth + 1);
    if (c === '"') return parseString();
    if (c === "t") return parseLiteral("true", true);
    if (c === "f") return parseLiteral("false", false);
    if (c === "n") return parseLiteral("null", null);
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return parseNumber();
    return fail(
      i >= text.length ? "unexpected end of file, expected a value" : `unexpected ${describeAt(i)}`,
    );
  };

  const parseObject = (depth: number): Record<string, unknown> => {
    if (depth > MAX_DEPTH) fail("nested too deeply");
    i++;
    const obj: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    offsets.set(obj, seen);
    skipWs();
    if (text[i] === "}") {
      i++;
      return obj;
    }
    for (;;) {
      skipWs();
      if (text[i] !== '"') fail(`expected a double-quoted property name, found ${describeAt(i)}`);
      const keyAt = i;
      const key = parseString();
      if (seen.has(key)) duplicates.push({ path: [...path, key], offset: keyAt });
      skipWs();
      if (text[i] !== ":") fail(`expected ':' after property name, found ${describeAt(i)}`);
      i++;
      skipWs();
      seen.set(key, i);
      path.push(key);
      const value = parseValue(depth);
      path.pop();
      // defineProperty keeps "__proto__" an ordinary own key instead of changing the prototype
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      skipWs();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return obj;
      }
      fail(`expected ',' or '}' after property value, found ${describeAt(i)}`);
    }
  };

  const parseArray = (depth: number): unknown[] => {
    if (depth > MAX_DEPTH) fail("nested too deeply");
    i++;
    const arr: unknown[] = [];
    const at: number[] = [];
    offsets.set(arr, at);
    skipWs();
    if (text[i] === "]") {
      i++;
      return arr;
    }
    for (;;) {
      skipWs();
      at.push(i);
      path.push(arr.length);
      arr.push(parseValue(depth));
      path.pop();
      skipWs();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return arr;
      }
      fail(`expected ',' or ']' after array element, found ${describeAt(i)}`);
    }
  };

  try {
    skipWs();
    const rootAt = i;
    const value = parseValue(0);
    skipWs();
    if (i < text.length) fail(`unexpected ${describeAt(i)} after the end of the document`);
    let locate: ((offset: number) => TextPosition) | undefined;
    const position = (offset: number) => {
      locate ??= createLineIndex(text);
      return locate(offset);
    };
    const positionOf = (segments: readonly JsonPathSegment[]): TextPosition | undefined => {
      let node: unknown = value;
      let at = rootAt;
      for (const seg of segments) {
        if (typeof node !== "object" || node === null) return undefined;
        const children = offsets.get(node);
        let next: number | undefined;
        if (Array.isArray(children)) next = typeof seg === "number" ? children[seg] : undefined;
        else next = children?.get(String(seg));
        if (next === undefined) return undefined;
        at = next;
        node = (node as Record<string | number, unknown>)[seg];
      }
      return position(at);
    };
    return {
      ok: true,
      doc: {
        value,
        positionOf,
        duplicateKeys: duplicates.map((d) => ({ path: d.path, position: position(d.offset) })),
      },
    };
  } catch (err) {
    if (err instanceof JsonSyntaxError)
      return { ok: false, message: err.message, position: createLineIndex(text)(err.offset) };
    throw err;
  }
}
