import { create, MemorySchema } from "@phoenix/proto";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";

/** Memory total, available and swap through systeminformation; periodic because available memory moves. */
export function createMemoryFingerprinter(opts: HardwareOptions): Fingerprinter {
  return {
    name: "memory",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const si = await import("systeminformation/lib/memory.js");
      const mem = await si.mem();
      return {
        memory: create(MemorySchema, {
          totalBytes: BigInt(mem.total),
          availableBytes: BigInt(mem.available),
          swapTotalBytes: BigInt(mem.swaptotal),
        }),
      };
    },
  };
}
