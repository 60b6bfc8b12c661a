import { create, type Inventory, InventorySchema, timestampNow } from "@phoenix/proto";
import type {
  FingerprintContext,
  Fingerprinter,
  HardwareLogger,
  HardwareOptions,
  InventoryPart,
} from "./fingerprinter";
import { createFingerprinters } from "./registry";

/** Runs one fingerprinter; a failure (after its retries) is logged and yields nothing rather than throwing. */
export async function runFingerprinter(
  fp: Fingerprinter,
  ctx: FingerprintContext,
  logger?: HardwareLogger,
): Promise<InventoryPart | undefined> {
  try {
    return await fp.fingerprint(ctx);
  } catch (err) {
    logger?.warn(
      { fingerprinter: fp.name, err: err instanceof Error ? err.message : String(err) },
      "fingerprint failed",
    );
    return undefined;
  }
}

/** One Inventory message from the latest part of each fingerprinter, stamped with the collection time. */
export function assembleInventory(parts: Iterable<InventoryPart>): Inventory {
  const merged: InventoryPart = {};
  for (const part of parts) Object.assign(merged, part);
  return create(InventorySchema, { ...merged, collectedAt: timestampNow() });
}

/** Runs every fingerprinter once, in parallel, and returns the whole inventory. Never throws for odd hardware. */
export async function collectInventory(opts: HardwareOptions = {}): Promise<Inventory> {
  const fps = createFingerprinters(opts);
  const parts = await Promise.all(fps.map((fp) => runFingerprinter(fp, {}, opts.logger)));
  return assembleInventory(parts.filter((p): p is InventoryPart => p !== undefined));
}
