import { LineCounter, parseDocument } from "yaml";
import type { TextPosition } from "./json-text";

/** A compose file that is YAML and has a `services` map; nothing more is checked here. */
export interface ComposeSummary {
  document: Record<string, unknown>;
  services: string[];
}

/** One reason a compose file is unusable, with its place when known. */
export interface ComposeProblem {
  /** Key path inside the compose file, e.g. `services.qdrant.deploy`. */
  path?: string;
  message: string;
  position?: TextPosition;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses a compose file far enough for the model: valid YAML, a mapping at the top, a
 * non-empty `services` map of maps. Error texts never quote the file (it may hold secrets).
 */
export function readComposeFile(
  text: string,
): { ok: true; compose: ComposeSummary } | { ok: false; problems: ComposeProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { message: `invalid YAML: ${e.message}`, position: { line, column: col } };
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { ok: false, problems: [{ message: `invalid YAML: ${(err as Error).message}` }] };
  }
  if (!isMap(value))
    return { ok: false, problems: [{ message: "a compose file must be a mapping with a services key" }] };
  const services = value.services;
  if (!isMap(services) || Object.keys(services).length === 0)
    return {
      ok: false,
      problems: [{ path: "services", message: "needs a services map with at least one service" }],
    };
  const problems: ComposeProblem[] = [];
  for (const [name, svc] of Object.entries(services)) {
    if (!isMap(svc)) problems.push({ path: `services.${name}`, message: "a service must be a mapping" });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, compose: { document: value, services: Object.keys(services) } };
}
