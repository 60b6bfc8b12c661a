import { clone, equals, type Inventory, InventorySchema } from "@phoenix/proto";
import { assembleInventory, runFingerprinter } from "./collect";
import type { Fingerprinter, HardwareOptions, InventoryPart } from "./fingerprinter";
import { createFingerprinters } from "./registry";

/** Keeps the inventory current: static fingerprinters once, periodic ones on their interval and on demand. */
export interface InventoryManager {
  /** Runs every fingerprinter once, then starts the periodic loop. Calling it again returns the current inventory. */
  start(): Promise<Inventory>;
  /** Runs the periodic fingerprinters now (e.g. the coordinator asked) and returns the fresh inventory. */
  refresh(): Promise<Inventory>;
  /** The latest inventory, with the latest volatile values (available memory, usage, uptime). */
  current(): Inventory | undefined;
  /** Called with the new inventory whenever it really changed (volatile values alone do not count). */
  onChange(listener: (inventory: Inventory) => void): () => void;
  /** Stops the periodic loop. */
  stop(): void;
}

/**
 * The inventory without the values that move all the time (collection time, uptime, available memory,
 * filesystem usage, running containers): two inventories that differ only there are the same for
 * scheduling, and a change there is no inventory change to report.
 */
export function significantInventory(inventory: Inventory): Inventory {
  const c = clone(InventorySchema, inventory);
  c.collectedAt = undefined;
  if (c.host) c.host.uptimeSeconds = 0n;
  if (c.memory) c.memory.availableBytes = 0n;
  for (const fs of c.filesystems) fs.usedBytes = 0n;
  if (c.docker) c.docker.containersRunning = 0;
  return c;
}

/** Creates the manager over the fingerprinters of the registry (or the ones given). */
export function createInventoryManager(
  opts: HardwareOptions = {},
  fingerprinters: readonly Fingerprinter[] = createFingerprinters(opts),
): InventoryManager {
  const parts = new Map<string, InventoryPart>();
  const running = new Map<string, Promise<void>>();
  const listeners = new Set<(inventory: Inventory) => void>();
  const timers = new Set<NodeJS.Timeout>();
  const periodic = fingerprinters.filter((fp) => fp.periodic !== false);
  let abort = new AbortController();
  let latest: Inventory | undefined;
  let significant: Inventory | undefined;
  let starting: Promise<Inventory> | undefined;
  let stopped = false;

  function runOne(fp: Fingerprinter): Promise<void> {
    const inFlight = running.get(fp.name);
    if (inFlight) return inFlight;
    const p = runFingerprinter(fp, { signal: abort.signal }, opts.logger)
      .then((part) => {
        if (part) parts.set(fp.name, part);
      })
      .finally(() => running.delete(fp.name));
    running.set(fp.name, p);
    return p;
  }

  // A static fingerprinter that failed is tried again with the next periodic run.
  const missingStatic = () => fingerprinters.filter((fp) => fp.periodic === false && !parts.has(fp.name));

  function publish(): Inventory {
    latest = assembleInventory(fingerprinters.flatMap((fp) => parts.get(fp.name) ?? []));
    const next = significantInventory(latest);
    if (significant && !equals(InventorySchema, next, significant)) {
      significant = next;
      for (const listener of listeners) {
        try {
          listener(latest);
        } catch (err) {
          opts.logger?.warn(
            { err: err instanceof Error ? err.message : String(err) },
            "inventory listener failed",
          );
        }
      }
    }
    significant ??= next;
    return latest;
  }

  // One timer per distinct interval, so fingerprinters sharing an interval publish one change together.
  function schedule(intervalMs: number, group: Fingerprinter[]) {
    const t = setTimeout(async () => {
      timers.delete(t);
      await Promise.all([...group, ...missingStatic()].map(runOne));
      if (stopped) return;
      publish();
      schedule(intervalMs, group);
    }, intervalMs);
    t.unref();
    timers.add(t);
  }

  return {
    start() {
      stopped = false;
      starting ??= (async () => {
        await Promise.all(fingerprinters.map(runOne));
        const inventory = publish();
        const groups = new Map<number, Fingerprinter[]>();
        for (const fp of periodic) {
          const ms = fp.periodic as number;
          groups.set(ms, [...(groups.get(ms) ?? []), fp]);
        }
        if (!stopped) for (const [ms, group] of groups) schedule(ms, group);
        return inventory;
      })();
      return starting;
    },
    async refresh() {
      if (!starting) return this.start();
      await starting;
      await Promise.all([...periodic, ...missingStatic()].map(runOne));
      return publish();
    },
    current: () => latest,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      abort.abort();
      abort = new AbortController();
      starting = undefined;
    },
  };
}
