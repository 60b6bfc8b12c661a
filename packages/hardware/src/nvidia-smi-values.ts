// nvidia-smi writes "no value" in many spellings depending on driver, OS and product.
const NO_VALUE = new Set(
  [
    "",
    "n/a",
    "[n/a]",
    "not supported",
    "[not supported]",
    "none",
    "unknown error",
    "[unknown error]",
    "insufficient permissions",
    "[insufficient permissions]",
    "requested functionality has been deprecated",
    "not available",
    "[not available]",
    "not found",
    "gpu is lost",
    "[gpu is lost]",
  ].map((s) => s.toLowerCase()),
);

/** The text of a parsed XML node, or undefined when nvidia-smi wrote one of its "no value" markers. */
export function smiText(node: unknown): string | undefined {
  let raw: unknown = node;
  if (raw !== null && typeof raw === "object" && "#text" in raw)
    raw = (raw as Record<string, unknown>)["#text"];
  if (typeof raw === "number" || typeof raw === "boolean") raw = String(raw);
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  return NO_VALUE.has(text.toLowerCase()) ? undefined : text;
}

/** A non-negative integer such as "3" or "14", or undefined when absent or not a number. */
export function smiInt(node: unknown): number | undefined {
  const text = smiText(node);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number.parseInt(text, 10);
}

const UNIT_MIB: Record<string, number> = { kib: 1 / 1024, mib: 1, gib: 1024, tib: 1024 * 1024 };

/** A memory size such as "81920 MiB" in MiB (rounded down), or undefined when absent. */
export function smiMib(node: unknown): number | undefined {
  const text = smiText(node);
  const m = text?.match(/^(\d+(?:\.\d+)?)\s*([KMGT]iB)?$/i);
  if (!m) return undefined;
  const factor = UNIT_MIB[(m[2] ?? "MiB").toLowerCase()] ?? 1;
  return Math.floor(Number.parseFloat(m[1]!) * factor);
}

/** "Enabled" / "Disabled" as a boolean, undefined for N/A and the like. */
export function smiEnabled(node: unknown): boolean | undefined {
  const text = smiText(node)?.toLowerCase();
  if (text === "enabled") return true;
  if (text === "disabled") return false;
  return undefined;
}

/** Reads a nested child of a parsed XML object by element names, tolerating anything missing. */
export function child(node: unknown, ...path: string[]): unknown {
  let cur: unknown = node;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
