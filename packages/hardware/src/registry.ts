import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { createCpuFingerprinter } from "./fingerprint-cpu";
import { createDockerFingerprinter } from "./fingerprint-docker";
import { createGpuFingerprinter } from "./fingerprint-gpu";
import { createHostFingerprinter } from "./fingerprint-host";
import { createMemoryFingerprinter } from "./fingerprint-memory";
import { createNetworkFingerprinter } from "./fingerprint-network";
import { createStorageFingerprinter } from "./fingerprint-storage";
import type { Fingerprinter, FingerprinterFactory, HardwareOptions } from "./fingerprinter";
import { withRetry } from "./fingerprinter";

/** Every fingerprinter by name, one per concern of the inventory. */
export const fingerprinterRegistry: Readonly<Record<string, FingerprinterFactory>> = {
  host: createHostFingerprinter,
  cpu: createCpuFingerprinter,
  memory: createMemoryFingerprinter,
  storage: createStorageFingerprinter,
  network: createNetworkFingerprinter,
  gpu: createGpuFingerprinter,
  docker: createDockerFingerprinter,
};

/** Builds the fingerprinters named in opts.fingerprinters (default: all), each wrapped in withRetry. */
export function createFingerprinters(opts: HardwareOptions = {}): Fingerprinter[] {
  const names = opts.fingerprinters ?? Object.keys(fingerprinterRegistry);
  return names.map((name) => {
    const factory = fingerprinterRegistry[name];
    if (!factory) {
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `unknown fingerprinter "${name}" (known: ${Object.keys(fingerprinterRegistry).join(", ")})`,
      );
    }
    return withRetry(factory(opts));
  });
}
