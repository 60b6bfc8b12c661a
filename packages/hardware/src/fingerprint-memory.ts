import { freemem, totalmem } from "node:os";
import { join } from "node:path";
import { create, type Memory, MemorySchema } from "@phoenix/proto";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";
import { readText } from "./host-facts";

/**
 * Memory from /proc/meminfo: MemTotal, MemAvailable (free plus buffers, page cache and slab on kernels
 * older than 3.14, which do not print it) and SwapTotal. The os module's totals where the file says nothing.
 */
export function memoryFromMeminfo(meminfo: string): Memory {
  const kb = (key: string) => Number(meminfo.match(new RegExp(`^${key}:\\s*(\\d+)`, "m"))?.[1] ?? 0) * 1024;
  const free = kb("MemFree") || freemem();
  return create(MemorySchema, {
    totalBytes: BigInt(kb("MemTotal") || totalmem()),
    availableBytes: BigInt(kb("MemAvailable") || free + kb("Buffers") + kb("Cached") + kb("Slab")),
    swapTotalBytes: BigInt(kb("SwapTotal")),
  });
}

/** Memory total, available and swap; periodic because available memory moves. */
export function createMemoryFingerprinter(opts: HardwareOptions): Fingerprinter {
  const root = opts.root ?? "/";
  return {
    name: "memory",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      return { memory: memoryFromMeminfo((await readText(join(root, "proc/meminfo"))) ?? "") };
    },
  };
}
