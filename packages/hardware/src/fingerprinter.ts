import type { Inventory } from "@phoenix/proto";

/** The slice of an Inventory one fingerprinter fills in. */
export type InventoryPart = Partial<
  Pick<Inventory, "host" | "cpu" | "memory" | "disks" | "filesystems" | "interfaces" | "gpu" | "docker">
>;

/** What a fingerprinter may use while it runs. */
export interface FingerprintContext {
  /** Aborted when the manager stops. */
  signal?: AbortSignal;
}

/** One concern of the inventory (host, cpu, gpu, ...): how to read it and whether it changes over time. */
export interface Fingerprinter {
  readonly name: string;
  /** false: read once; a number: read again every that many milliseconds (and on demand). */
  readonly periodic: false | number;
  fingerprint(ctx: FingerprintContext): Promise<InventoryPart>;
}

/** Minimal logger the hardware package writes to (pino fits). */
export interface HardwareLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

/** Options shared by every fingerprinter and by collectInventory / createInventoryManager. */
export interface HardwareOptions {
  /** nvidia-smi binary or a script printing a capture. Default "nvidia-smi". */
  nvidiaSmiPath?: string;
  /** Timeout of one nvidia-smi run. Default 10 s. */
  nvidiaSmiTimeoutMs?: number;
  /** Docker engine socket. Default /var/run/docker.sock. */
  dockerSocket?: string;
  /** Timeout of one Docker API call. Default 5 s. */
  dockerTimeoutMs?: number;
  /** Proxmox vmid from the agent's configuration; wins over anything detected. */
  vmid?: number;
  /** Interval of the periodic fingerprinters. Default 60 s. */
  intervalMs?: number;
  /** Root of the filesystem host facts are read from (/etc, /proc, /sys, /run, /dev). Default "/". */
  root?: string;
  /** Names of the fingerprinters to run; default all of the registry. */
  fingerprinters?: readonly string[];
  logger?: HardwareLogger;
}

/** Builds a fingerprinter from the shared options. */
export type FingerprinterFactory = (opts: HardwareOptions) => Fingerprinter;

/** Default interval of periodic fingerprinters. */
export const DEFAULT_INTERVAL_MS = 60_000;

/** Wraps a fingerprinter so that a throw is retried a few times, with a pause, before it is reported. */
export function withRetry(
  fp: Fingerprinter,
  opts: { attempts?: number; delayMs?: number } = {},
): Fingerprinter {
  const attempts = Math.max(1, opts.attempts ?? 3);
  const delayMs = opts.delayMs ?? 500;
  return {
    name: fp.name,
    periodic: fp.periodic,
    async fingerprint(ctx) {
      let last: unknown;
      for (let i = 0; i < attempts; i++) {
        if (i > 0) await sleep(delayMs, ctx.signal);
        ctx.signal?.throwIfAborted();
        try {
          return await fp.fingerprint(ctx);
        } catch (err) {
          last = err;
        }
      }
      throw last;
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
