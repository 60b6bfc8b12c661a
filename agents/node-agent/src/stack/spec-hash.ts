import { createHash } from "node:crypto";

/** JSON with object keys sorted and undefined members dropped, so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Hex sha256 of the canonical JSON of a spec; stored in a label to detect changes cheaply. */
export function specHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
