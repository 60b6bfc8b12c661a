import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { core } from "zod";
import { formatJsonPath, type JsonPathSegment } from "./json-path";
import type { JsonDocument, TextPosition } from "./json-text";

interface Problem {
  file: string;
  path?: string;
  message: string;
  position?: TextPosition;
}

/** Collects every problem of a model so they can all be reported at once. */
export class ModelProblems {
  private readonly items: Problem[] = [];
  private readonly docs = new Map<string, JsonDocument>();

  /** Remembers a parsed file so problems in it get a line and column. */
  registerDocument(file: string, doc: JsonDocument): void {
    this.docs.set(file, doc);
  }

  /** Adds a problem about a whole file, or at a place that is not a JSON path (a YAML key path). */
  addFile(file: string, message: string, position?: TextPosition, path?: string): void {
    this.items.push({ file, message, ...(position ? { position } : {}), ...(path ? { path } : {}) });
  }

  /** Adds a problem at a JSON path of a file. */
  add(file: string, path: readonly JsonPathSegment[], message: string): void {
    const rendered = formatJsonPath(path);
    const position = this.positionOf(file, path);
    this.items.push({ file, path: rendered, message, ...(position ? { position } : {}) });
  }

  /** Adds every zod issue, each at its own path under `base`. */
  addZodIssues(file: string, base: readonly JsonPathSegment[], issues: readonly core.$ZodIssue[]): void {
    for (const issue of issues) this.addZodIssue(file, base, issue);
  }

  get count(): number {
    return this.items.length;
  }

  /** The problems as PhoenixErrors (INVALID_MODEL, place = file + JSON path). */
  toErrors(): PhoenixError[] {
    return this.items.map(
      (p) =>
        new PhoenixError(
          ErrorCode.INVALID_MODEL,
          p.position ? `${p.message} (line ${p.position.line}, column ${p.position.column})` : p.message,
          { place: p.path ? { file: p.file, path: p.path } : { file: p.file } },
        ),
    );
  }

  private positionOf(file: string, path: readonly JsonPathSegment[]): TextPosition | undefined {
    const doc = this.docs.get(file);
    if (!doc) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const pos = doc.positionOf(path.slice(0, n));
      if (pos) return pos;
    }
    return undefined;
  }

  private typeAt(file: string, path: readonly JsonPathSegment[]): string | undefined {
    let v: unknown = this.docs.get(file)?.value;
    for (const seg of path) {
      if (typeof v !== "object" || v === null) return undefined;
      v = (v as Record<string | number, unknown>)[seg];
    }
    if (v === null) return "null";
    if (Array.isArray(v)) return "array";
    if (typeof v === "number" && !Number.isInteger(v)) return "a fraction";
    return typeof v;
  }

  private exists(file: string, path: readonly JsonPathSegment[]): boolean {
    const doc = this.docs.get(file);
    return !doc || doc.positionOf(path) !== undefined;
  }

  private addZodIssue(file: string, base: readonly JsonPathSegment[], issue: core.$ZodIssue): void {
    const path = [...base, ...(issue.path as JsonPathSegment[])];
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) this.add(file, [...path, key], `unknown key ${JSON.stringify(key)}`);
        return;
      case "invalid_union": {
        // a branch that got past the type check explains the failure better than "no branch matched"
        const inner = issue.errors.find((branch) => branch.some((i) => i.path.length > 0));
        if (inner) {
          for (const i of inner) this.addZodIssue(file, path, i);
          return;
        }
        break;
      }
      case "invalid_type": {
        const expected = issue.expected === "int" ? "a whole number" : issue.expected;
        if (!this.exists(file, path)) {
          this.add(file, path, `is required (${expected})`);
          return;
        }
        const got = this.typeAt(file, path);
        this.add(file, path, `expected ${expected}${got ? `, got ${got}` : ""}`);
        return;
      }
      case "invalid_value":
        this.add(
          file,
          path,
          issue.values.length === 1
            ? `expected ${JSON.stringify(issue.values[0])}`
            : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
        );
        return;
      case "invalid_key":
        this.add(file, path, issue.issues.map((i) => i.message).join("; ") || "invalid key");
        return;
    }
    this.add(file, path, issue.message);
  }
}
