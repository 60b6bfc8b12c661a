// Names Swarm accepts (swarmkit's checks), so that a bad name fails at render time with the
// compose key that produced it instead of at deploy time with a bare daemon error.

const SERVICE_OR_NETWORK = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
const SECRET_OR_CONFIG = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;

/** Why `name` cannot be a Swarm service or network name, or `undefined` when it can. */
export function invalidServiceOrNetworkName(name: string): string | undefined {
  if (name.length > 63) return `${JSON.stringify(name)} is longer than 63 characters`;
  if (!SERVICE_OR_NETWORK.test(name)) {
    return `${JSON.stringify(name)} is not a valid Swarm name (letters and digits, '-' or '_' only between them)`;
  }
  return undefined;
}

/** Why `name` cannot be a Swarm secret or config name, or `undefined` when it can. */
export function invalidSecretOrConfigName(name: string): string | undefined {
  if (name.length > 64) return `${JSON.stringify(name)} is longer than 64 characters`;
  if (!SECRET_OR_CONFIG.test(name)) {
    return `${JSON.stringify(name)} is not a valid secret/config name (letters, digits, '-', '_', '.' inside)`;
  }
  return undefined;
}
