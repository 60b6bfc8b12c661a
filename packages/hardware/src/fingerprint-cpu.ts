import { cpus } from "node:os";
import { join } from "node:path";
import { CpuSchema, create } from "@phoenix/proto";
import { cpuVendor, parseCpuinfo, parseCpuList, splitModelName } from "./cpuinfo";
import type { Fingerprinter, HardwareOptions } from "./fingerprinter";
import { readText } from "./host-facts";

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

// Physical cores from the kernel's topology of the online CPUs, where /proc/cpuinfo does not list them (arm64).
async function topologyCores(cpuDir: string): Promise<number> {
  const online = parseCpuList((await readText(join(cpuDir, "online"))) ?? "");
  const ids = await Promise.all(
    online.map(async (n) => {
      const topology = join(cpuDir, `cpu${n}`, "topology");
      const [pkg, core] = await Promise.all([
        readText(join(topology, "physical_package_id")),
        readText(join(topology, "core_id")),
      ]);
      return core === undefined ? undefined : `${pkg?.trim()}/${core.trim()}`;
    }),
  );
  return new Set(ids.filter((id) => id !== undefined)).size;
}

/**
 * Processor vendor, model, cores, threads, clock and scheduling flags, read once from /proc/cpuinfo and
 * /sys/devices/system/cpu (Linux). The clock is the one in the model name, else the highest cpufreq allows,
 * else the kernel's "cpu MHz" (all a VM usually has).
 */
export function createCpuFingerprinter(opts: HardwareOptions): Fingerprinter {
  const root = opts.root ?? "/";
  return {
    name: "cpu",
    periodic: false,
    async fingerprint() {
      const cpuDir = join(root, "sys/devices/system/cpu");
      const [text, maxKHz] = await Promise.all([
        readText(join(root, "proc/cpuinfo")),
        readText(join(cpuDir, "cpu0/cpufreq/cpuinfo_max_freq")),
      ]);
      const info = parseCpuinfo(text ?? "");
      const { manufacturer, brand, ghz } = splitModelName(info.modelName);
      const threads = info.processors || cpus().length;
      const cores = info.cores || (await topologyCores(cpuDir)) || threads;
      const mhz = ghz * 1000 || Number(maxKHz ?? 0) / 1000 || info.mhz;
      return {
        cpu: create(CpuSchema, {
          vendor: cpuVendor(info.vendorId) || manufacturer,
          model: cpuModel(manufacturer, brand),
          cores,
          threads,
          mhz: Math.round(mhz),
          flags: schedulingFlags(info.flags),
        }),
      };
    },
  };
}
