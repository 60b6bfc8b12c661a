const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** One step of a JSON path: an object key or an array index. */
export type JsonPathSegment = string | number;

/** Renders a path as `$.vms[2].node_labels[0]` (keys that are not identifiers as `["950"]`). */
export function formatJsonPath(path: readonly PropertyKey[], root = "$"): string {
  let out = root;
  for (const seg of path) out = appendJsonPath(out, seg);
  return out;
}

/** Appends one segment to a rendered JSON path. */
export function appendJsonPath(base: string, seg: PropertyKey): string {
  if (typeof seg === "number") return `${base}[${seg}]`;
  const key = String(seg);
  return IDENTIFIER.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}
