import { join } from "node:path";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";
import { gpuReportFrom } from "./gpu-report";
import { runNvidiaSmi } from "./nvidia-smi";

/**
 * NVIDIA GPUs from nvidia-smi. Periodic: a driver that loads late, or a MIG layout that changes, shows up on
 * the next run, so a node whose GPU first reported an error gets its GPU labels once nvidia-smi works.
 */
export function createGpuFingerprinter(opts: HardwareOptions): Fingerprinter {
  return {
    name: "gpu",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const result = await runNvidiaSmi({
        path: opts.nvidiaSmiPath,
        timeoutMs: opts.nvidiaSmiTimeoutMs,
        devDir: join(opts.root ?? "/", "dev"),
      });
      return { gpu: gpuReportFrom(result) };
    },
  };
}
