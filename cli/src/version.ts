/** This CLI's version (`phoenix --version`); releases keep it equal to the coordinator's. */
export const VERSION = "0.1.0";

/**
 * What `phoenix status` says when the coordinator is of another version than this command: both
 * speak the same API, but a command older than its coordinator lacks what the coordinator added.
 */
export function versionWarning(cli: string, coordinator: string): string | undefined {
  if (!coordinator || coordinator === cli) return undefined;
  return `this phoenix command is ${cli}, the coordinator ${coordinator}: use the phoenix of the coordinator's version (the coordinator host's /usr/local/bin/phoenix, or a checkout built at that version)`;
}
