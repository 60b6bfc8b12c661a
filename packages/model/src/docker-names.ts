/**
 * Name rules of Docker and Swarm, checked before anything reaches a daemon. Each check returns
 * the reason a name is refused, or undefined when it is fine.
 */

// swarmkit: service and network names must be valid DNS name components, at most 63 characters
const SWARM_OBJECT_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
// compose project names are lowercase; combined with swarmkit's rule above
const PROJECT_NAME = /^[a-z0-9](?:[-_]*[a-z0-9]+)*$/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const LABEL_KEY_CHARS = /^[A-Za-z0-9._-]+$/;
const RESERVED_LABEL_PREFIXES = ["com.docker.", "io.docker.", "org.dockerproject."];
const NATS_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Longest name Swarm accepts for a service or network (a DNS label). */
export const MAX_SWARM_NAME_LENGTH = 63;

/** Why a stack or environment name is not usable in `<env>_<stack>_<service>`, or undefined. */
export function projectNameProblem(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (!PROJECT_NAME.test(name))
    return "must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit";
  if (name.length > MAX_SWARM_NAME_LENGTH) return `must be at most ${MAX_SWARM_NAME_LENGTH} characters`;
  return undefined;
}

/** Why a full Swarm service or network name would be refused by Swarm, or undefined. */
export function swarmNameProblem(name: string): string | undefined {
  if (!SWARM_OBJECT_NAME.test(name))
    return "is not a valid Swarm name (letters, digits, '-' and '_', starting and ending with a letter or digit)";
  if (name.length > MAX_SWARM_NAME_LENGTH)
    return `is ${name.length} characters long; Swarm allows at most ${MAX_SWARM_NAME_LENGTH}`;
  return undefined;
}

/** Why a guest name (the Proxmox name, also the guest's hostname) is not a DNS name, or undefined. */
export function hostnameProblem(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name.length > 253) return "must be at most 253 characters";
  for (const part of name.split(".")) {
    if (!DNS_LABEL.test(part))
      return "must be a DNS name: letters, digits and '-', dot-separated parts of 1-63 characters";
  }
  return undefined;
}

/** Why a cluster name or NATS subject token is not usable as one NATS subject token, or undefined. */
export function natsTokenProblem(token: string): string | undefined {
  if (!NATS_TOKEN.test(token)) return "must be letters, digits, '-' and '_' (one NATS subject token)";
  return undefined;
}

/** A label split into key and value. */
export interface Label {
  key: string;
  value: string;
}

/**
 * Parses `key=value` and checks the key against Docker's label rules plus what a Swarm
 * placement constraint can reference (`node.labels.<key>`).
 */
export function parseLabel(text: string): { ok: true; label: Label } | { ok: false; problem: string } {
  const eq = text.indexOf("=");
  if (eq < 0) return { ok: false, problem: `${JSON.stringify(text)} is not key=value` };
  const key = text.slice(0, eq);
  const problem = labelKeyProblem(key);
  if (problem) return { ok: false, problem: `label key ${JSON.stringify(key)} ${problem}` };
  return { ok: true, label: { key, value: text.slice(eq + 1) } };
}

/** Why a label key breaks Docker's label rules, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  if (key.length === 0) return "must not be empty";
  if (!LABEL_KEY_CHARS.test(key)) return "may only contain letters, digits, '.', '-' and '_'";
  if (!/^[A-Za-z0-9]/.test(key) || !/[A-Za-z0-9]$/.test(key))
    return "must start and end with a letter or digit";
  if (/[.-]{2}/.test(key)) return "must not contain consecutive '.' or '-'";
  const lower = key.toLowerCase();
  const reserved = RESERVED_LABEL_PREFIXES.find((p) => lower.startsWith(p));
  if (reserved) return `uses the prefix ${reserved} reserved by Docker`;
  return undefined;
}
