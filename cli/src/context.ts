import type { ClusterClient } from "./client";
import type { Output } from "./output";
import type { Connection } from "./settings";

/** What every command gets: output, a lazily opened client, and a signal for Ctrl-C. */
export interface CommandContext {
  out: Output;
  /** Opens the coordinator connection on first use (offline commands never do). */
  client(): ClusterClient;
  connection(): Connection;
  /** Aborted on SIGINT/SIGTERM; long-running commands stop cleanly. */
  signal: AbortSignal;
}
