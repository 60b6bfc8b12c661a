import type { Inventory, LogLineSchema, MessageInitShape } from "@phoenix/proto";
import type { Dockerode } from "../docker";
import type { Logger } from "../logger";

/** A progress message of a running command, without its command id (the executor adds it). */
export interface Progress {
  /** A human-readable progress line. */
  message?: string;
  /** A log line (ServiceLogsCommand). */
  log?: MessageInitShape<typeof LogLineSchema>;
}

/** What a command may use while it runs. */
export interface CommandContext {
  /** The local Docker client (dockerode is loaded on first use). */
  docker(): Promise<Dockerode>;
  /** Aborted when the deadline passes, when the coordinator cancels the command, or (streams) when the session closes. */
  readonly signal: AbortSignal;
  /** The command's deadline in epoch milliseconds, when it has one. */
  readonly deadline?: number;
  /** Sends progress to the coordinator; resolves when more may be sent (back-pressure). */
  progress(p: Progress): Promise<void>;
  /** Collects the inventory now; the session sends it as an InventoryUpdate. */
  refreshInventory(): Promise<Inventory>;
  readonly log: Logger;
}
