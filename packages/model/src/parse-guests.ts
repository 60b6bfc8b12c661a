import { parseLabel } from "./docker-names";
import { guestEntrySchema, lxcMapEntrySchema } from "./guest-schema";
import type { JsonPathSegment } from "./json-path";
import { formatJsonPath } from "./json-path";
import type { ModelProblems } from "./model-problems";
import type { Guest, GuestKind, NodeAvailability, SwarmRole } from "./model-types";

const ROLES: readonly SwarmRole[] = ["manager", "worker", "auto", "none"];
const AVAILABILITIES: readonly NodeAvailability[] = ["active", "pause", "drain"];

const PATHS = new WeakMap<Guest, readonly JsonPathSegment[]>();
/** Guests whose swarm_role is there but not a role: already reported, and not taken for "none". */
const UNKNOWN_ROLE = new WeakSet<Guest>();

/**
 * Whether the guest's swarm_role could be read: absent (the default, none) or one of the roles. A
 * misspelt role is reported once, where it is; checks that depend on the role leave the guest out
 * rather than blame a role the file does not say.
 */
export function roleIsKnown(guest: Guest): boolean {
  return !UNKNOWN_ROLE.has(guest);
}

/** The JSON path segments of a guest's entry in its file. */
export function guestPath(guest: Guest): JsonPathSegment[] {
  return [...(PATHS.get(guest) ?? [])];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/**
 * Builds a Guest from an entry, taking each field only where it has the right type. Entries
 * with problems still take part in the cross-file checks, so every error shows at once.
 */
function toGuest(
  kind: GuestKind,
  entry: Record<string, unknown>,
  vmid: number,
  file: string,
  path: string,
): Guest {
  const role = ROLES.find((r) => r === entry.swarm_role);
  const availability = AVAILABILITIES.find((a) => a === entry.swarm_availability);
  const nodeLabels = stringList(entry.node_labels).flatMap((text) => {
    const parsed = parseLabel(text);
    return parsed.ok ? [parsed.label] : [];
  });
  const guest: Guest = {
    kind,
    vmid,
    name: typeof entry.name === "string" ? entry.name : "",
    swarmRole: role ?? "none",
    ...(availability ? { swarmAvailability: availability } : {}),
    nodeLabels,
    dockerStacks: stringList(entry.docker_stacks),
    config: entry,
    source: { file, path },
  };
  if (entry.swarm_role !== undefined && !role) UNKNOWN_ROLE.add(guest);
  return guest;
}

function readEntry(
  kind: GuestKind,
  entry: unknown,
  path: JsonPathSegment[],
  file: string,
  problems: ModelProblems,
  keyVmid?: number,
): Guest | undefined {
  const schema = keyVmid === undefined ? guestEntrySchema : lxcMapEntrySchema;
  const result = schema.safeParse(entry);
  if (!result.success) problems.addZodIssues(file, path, result.error.issues);
  if (!isRecord(entry)) return undefined;
  if (keyVmid !== undefined && entry.vmid !== undefined && entry.vmid !== keyVmid)
    problems.add(file, [...path, "vmid"], `vmid must equal the CTID key ${keyVmid}`);
  const vmid = keyVmid ?? entry.vmid;
  if (typeof vmid !== "number" || !Number.isInteger(vmid)) return undefined;
  const guest = toGuest(kind, entry, vmid, file, formatJsonPath(path));
  PATHS.set(guest, path);
  return guest;
}

/** Guests read from a file, and whether every entry of it could be read (else cross-checks on counts are skipped). */
export interface GuestFileResult {
  guests: Guest[];
  complete: boolean;
}

/**
 * Reads etc/phoenix_vm_configs.json (`{ "vms": [...] }` or an array) or
 * etc/phoenix_lxc_configs.json (`{ "lxc_configs": { "<ctid>": {...} } }`, an array there, or
 * an array) into guests, reporting each problem at its JSON path.
 */
export function readGuestFile(
  kind: GuestKind,
  value: unknown,
  file: string,
  problems: ModelProblems,
): GuestFileResult {
  const listKey = kind === "vm" ? "vms" : "lxc_configs";
  let list: unknown = value;
  let base: JsonPathSegment[] = [];
  if (isRecord(value)) {
    if (value.$schema !== undefined && typeof value.$schema !== "string")
      problems.add(file, ["$schema"], "expected string");
    list = value[listKey] ?? [];
    base = [listKey];
  } else if (!Array.isArray(value)) {
    problems.add(file, [], `expected an object with "${listKey}" or an array of guests`);
    return { guests: [], complete: false };
  }

  const guests: Guest[] = [];
  let complete = true;
  if (Array.isArray(list)) {
    list.forEach((entry, i) => {
      const g = readEntry(kind, entry, [...base, i], file, problems);
      if (g) guests.push(g);
      else complete = false;
    });
  } else if (kind === "lxc" && isRecord(list)) {
    for (const [key, entry] of Object.entries(list)) {
      if (!/^[1-9][0-9]{2,8}$/.test(key)) {
        problems.add(file, [...base, key], `key ${JSON.stringify(key)} is not a CTID (100 to 999999999)`);
        complete = false;
        continue;
      }
      const g = readEntry(kind, entry, [...base, key], file, problems, Number(key));
      if (g) guests.push(g);
      else complete = false;
    }
  } else {
    problems.add(
      file,
      base,
      kind === "lxc" ? "expected a map of CTID to container, or an array" : "expected an array",
    );
    complete = false;
  }
  return { guests, complete };
}
