import { PHOENIX_PREFIX } from "./hardware-labels";

/**
 * Node label recording which labels outside `phoenix.` Phoenix set itself (`gpu,zone`), so it
 * removes those when they stop being wanted and never touches labels someone else set. It lives
 * on the node, so it survives a lost coordinator state and is visible in `docker node inspect`.
 */
export const OWNED_LABELS_KEY = "phoenix.owned-labels";

/** The label keys Phoenix owns on a node: every `phoenix.*` key and those its ownership label lists. */
export function ownedKeys(labels: Readonly<Record<string, string>>): Set<string> {
  const owned = new Set<string>();
  for (const k of (labels[OWNED_LABELS_KEY] ?? "").split(",")) if (k) owned.add(k);
  for (const k of Object.keys(labels)) if (k.startsWith(PHOENIX_PREFIX)) owned.add(k);
  return owned;
}

/** Adds the ownership label for the non-`phoenix.` keys of a desired label set (or none if there are none). */
export function withOwnership(labels: Record<string, string>): Record<string, string> {
  const foreign = Object.keys(labels)
    .filter((k) => !k.startsWith(PHOENIX_PREFIX))
    .sort();
  const out = { ...labels };
  delete out[OWNED_LABELS_KEY];
  if (foreign.length > 0) out[OWNED_LABELS_KEY] = foreign.join(",");
  return out;
}

/** What to change on a node: labels to set (new or different values) and owned labels to remove. */
export interface LabelChanges {
  set: Record<string, string>;
  remove: string[];
}

/**
 * The changes that take a node's labels to the desired ones: set what differs, remove what
 * Phoenix owns and no longer wants, leave everything else alone. Undefined when nothing differs.
 */
export function labelChanges(
  desired: Readonly<Record<string, string>>,
  observed: Readonly<Record<string, string>>,
): LabelChanges | undefined {
  const set: Record<string, string> = {};
  let changed = false;
  for (const [k, v] of Object.entries(desired)) {
    if (observed[k] !== v) {
      set[k] = v;
      changed = true;
    }
  }
  const owned = ownedKeys(observed);
  const remove = Object.keys(observed)
    .filter((k) => !Object.hasOwn(desired, k) && owned.has(k))
    .sort();
  return changed || remove.length > 0 ? { set, remove } : undefined;
}
