import { setFlagsFromString } from "node:v8";

/**
 * The V8 flag that makes the young generation be scavenged once `percent` of it is used. V8 scavenges
 * when the young generation is full, or earlier from a background task once it passes this share
 * (80 % by default). The flag was renamed in V8 11 (Node 20).
 */
export function youngGenerationFlag(v8Version: string, percent: number): string {
  const major = Number.parseInt(v8Version, 10);
  return `--${major >= 11 ? "minor-gc-task-trigger" : "scavenge-task-trigger"}=${percent}`;
}

/**
 * An idle agent allocates a little on each heartbeat and otherwise waits on sockets. Scavenged at 10 %,
 * its young generation (1 MB with the unit's --max-semi-space-size=1) never fills up between
 * heartbeats: about 1 MB less resident, for a scavenge of a millisecond or two per heartbeat.
 * Set at start rather than in the unit's command line, where an unknown name stops node.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString(youngGenerationFlag(process.versions.v8, 10));
}
