import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CpuSchema, create } from "@phoenix/proto";
import type { Fingerprinter, HardwareOptions } from "./fingerprinter";

// Instruction set extensions a workload may need; everything else in /proc/cpuinfo is noise for scheduling.
const SCHEDULING_FLAGS = new Set([
  "sse4_1",
  "sse4_2",
  "ssse3",
  "popcnt",
  "fma",
  "f16c",
  "bmi1",
  "bmi2",
  "aes",
  "vaes",
  "pclmulqdq",
  "sha_ni",
  "rdrand",
  "avx",
  "avx2",
  "avx512f",
  "avx512cd",
  "avx512bw",
  "avx512dq",
  "avx512vl",
  "avx512ifma",
  "avx512vbmi",
  "avx512_vnni",
  "avx512_bf16",
  "avx512_fp16",
  "avx_vnni",
  "amx_tile",
  "amx_bf16",
  "amx_int8",
  "vmx",
  "svm",
  // arm64
  "asimd",
  "sve",
  "sve2",
  "sha2",
  "atomics",
]);

/** The scheduling-relevant flags of a CPU flag list (space separated, as /proc/cpuinfo), sorted. */
export function schedulingFlags(flags: string): string[] {
  return [...new Set(flags.split(/\s+/).filter((f) => SCHEDULING_FLAGS.has(f)))].sort();
}

/** "AMD" + "EPYC 7543 32-Core Processor" → "AMD EPYC 7543 32-Core Processor", without doubling the vendor. */
export function cpuModel(manufacturer: string, brand: string): string {
  const m = manufacturer.trim();
  const b = brand.trim();
  if (!m || b.toLowerCase().startsWith(m.toLowerCase())) return b;
  return b ? `${m} ${b}` : m;
}

/** The first "cpu MHz" of /proc/cpuinfo, 0 when there is none (arm64 kernels do not print it). */
export function parseCpuinfoMhz(cpuinfo: string): number {
  return Number(cpuinfo.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? 0);
}

async function cpuinfoMhz(root: string): Promise<number> {
  try {
    return parseCpuinfoMhz(await readFile(join(root, "proc/cpuinfo"), "utf8"));
  } catch {
    return 0;
  }
}

/** Processor vendor, model, cores, threads, clock and scheduling flags, read once through systeminformation. */
export function createCpuFingerprinter(opts: HardwareOptions): Fingerprinter {
  return {
    name: "cpu",
    periodic: false,
    async fingerprint() {
      const si = await import("systeminformation/lib/cpu.js");
      const [cpu, flags, current] = await Promise.all([si.cpu(), si.cpuFlags(), si.cpuCurrentSpeed()]);
      // Nominal speed when the CPU reports one; in many VMs only /proc/cpuinfo's "cpu MHz" exists.
      const mhz = (cpu.speed || cpu.speedMax || current.avg) * 1000 || (await cpuinfoMhz(opts.root ?? "/"));
      return {
        cpu: create(CpuSchema, {
          vendor: cpu.vendor || cpu.manufacturer,
          model: cpuModel(cpu.manufacturer, cpu.brand),
          cores: cpu.physicalCores || cpu.cores,
          threads: cpu.cores,
          mhz: Math.round(mhz),
          flags: schedulingFlags(flags || cpu.flags),
        }),
      };
    },
  };
}
