/** Text put in place of a secret in messages and logs. */
export const REDACTED = "[redacted]";

// Docker swarm join tokens: SWMTKN-1-<digest>-<secret>.
const SWARM_TOKEN = /SWMTKN-1-[0-9a-z]+-[0-9a-z]+/gi;

/** Removes the given secrets and any swarm join token from a text meant for a log line or an error. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(SWARM_TOKEN, REDACTED);
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  }
  return out;
}
