/** What /proc/cpuinfo says about a machine's processors. */
export interface Cpuinfo {
  /** "GenuineIntel", "AuthenticAMD" (x86), or the implementer's name (arm64, e.g. "ARM", "Ampere"). */
  vendorId: string;
  /** "model name" (x86), or the core's name on arm64 (e.g. "Neoverse-N1"); empty when unknown. */
  modelName: string;
  /** The first processor's "flags" (x86) or "Features" (arm64), space separated. */
  flags: string;
  /** The first "cpu MHz", 0 when there is none (arm64 kernels do not print it). */
  mhz: number;
  /** Number of processor entries (hardware threads). */
  processors: number;
  /** Distinct "physical id"/"core id" pairs; 0 where the kernel does not print them (arm64). */
  cores: number;
}

// util-linux lscpu's names for the arm64 implementers and server cores a guest is likely to run on.
const ARM_IMPLEMENTERS: Record<string, string> = {
  "0x41": "ARM",
  "0x42": "Broadcom",
  "0x43": "Cavium",
  "0x46": "FUJITSU",
  "0x48": "HiSilicon",
  "0x4e": "NVIDIA",
  "0x50": "APM",
  "0x51": "Qualcomm",
  "0x53": "Samsung",
  "0x56": "Marvell",
  "0x61": "Apple",
  "0x69": "Intel",
  "0x6d": "Microsoft",
  "0x70": "Phytium",
  "0xc0": "Ampere",
};
const ARM_PARTS: Record<string, string> = {
  "0x41/0xd03": "Cortex-A53",
  "0x41/0xd04": "Cortex-A35",
  "0x41/0xd05": "Cortex-A55",
  "0x41/0xd07": "Cortex-A57",
  "0x41/0xd08": "Cortex-A72",
  "0x41/0xd09": "Cortex-A73",
  "0x41/0xd0a": "Cortex-A75",
  "0x41/0xd0b": "Cortex-A76",
  "0x41/0xd0c": "Neoverse-N1",
  "0x41/0xd0d": "Cortex-A77",
  "0x41/0xd40": "Neoverse-V1",
  "0x41/0xd41": "Cortex-A78",
  "0x41/0xd49": "Neoverse-N2",
  "0x41/0xd4f": "Neoverse-V2",
  "0x41/0xd84": "Neoverse-V3",
  "0x41/0xd8e": "Neoverse-N3",
  "0xc0/0xac3": "Ampere-1",
  "0xc0/0xac4": "Ampere-1a",
};

/** Parses /proc/cpuinfo (x86 and arm64 layouts). */
export function parseCpuinfo(text: string): Cpuinfo {
  const first = new Map<string, string>();
  const coreIds = new Set<string>();
  let processors = 0;
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      if (!fields.has(key)) fields.set(key, line.slice(colon + 1).trim());
    }
    if (fields.has("processor")) processors++;
    if (fields.has("physical id") && fields.has("core id")) {
      coreIds.add(`${fields.get("physical id")}/${fields.get("core id")}`);
    }
    for (const [k, v] of fields) if (!first.has(k)) first.set(k, v);
  }
  const implementer = first.get("CPU implementer")?.toLowerCase() ?? "";
  const part = first.get("CPU part")?.toLowerCase() ?? "";
  return {
    vendorId: first.get("vendor_id") ?? ARM_IMPLEMENTERS[implementer] ?? "",
    modelName: first.get("model name") ?? ARM_PARTS[`${implementer}/${part}`] ?? "",
    flags: first.get("flags") ?? first.get("Features") ?? "",
    mhz: Number(first.get("cpu MHz") ?? 0) || 0,
    processors,
    cores: coreIds.size,
  };
}

// Vendor words in a model name or vendor id; a later match wins, as in systeminformation.
const VENDORS: ReadonlyArray<[string, string]> = [
  ["intel", "Intel"],
  ["amd", "AMD"],
  ["qemu", "QEMU"],
  ["hygon", "Hygon"],
  ["centaur", "WinChip/Via"],
  ["vmware", "VMware"],
  ["tcg", "QEMU"],
  ["apple", "Apple"],
  ["sifive", "SiFive"],
  ["thead", "T-Head"],
  ["andestech", "Andes Technology"],
];

/** The vendor a vendor id or model name names ("GenuineIntel" → "Intel"), else the text itself. */
export function cpuVendor(text: string): string {
  const lower = text.toLowerCase();
  let vendor = text;
  for (const [word, name] of VENDORS) if (lower.includes(word)) vendor = name;
  return vendor;
}

/**
 * Splits a model name the way systeminformation did, so inventories keep their values: the vendor (a known vendor
 * word anywhere, else the first word), the words after the first with ®/™/© and without "CPU", and the clock after
 * "@" in GHz (0 when there is none). "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz" → Intel, "Xeon® Gold 6130", 2.1.
 */
export function splitModelName(modelName: string): { manufacturer: string; brand: string; ghz: number } {
  const [name = "", clock] = modelName.replace(/To Be Filled By O.E.M./g, "").split("@");
  let brand = name.trim();
  if (brand.includes("Unknown")) brand = brand.split("Unknown")[0]!.trim();
  brand = brand
    .replace(/\(R\)+/g, "®")
    .replace(/\(TM\)+/g, "™")
    .replace(/\(C\)+/g, "©")
    .replace(/CPU+/g, "")
    .replace(/\s+/g, " ")
    .trim();
  const [first = "", ...rest] = brand.split(" ");
  const vendor = cpuVendor(brand);
  return {
    manufacturer: vendor === brand ? first : vendor,
    brand: rest.join(" "),
    ghz: clock ? Number.parseFloat(clock.trim()) || 0 : 0,
  };
}

/** Parses a kernel CPU list such as "0-3,8,10-11" (/sys/devices/system/cpu/online) into CPU numbers. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const range of list.trim().split(",")) {
    const m = range.trim().match(/^(\d+)(?:-(\d+))?$/);
    if (!m) continue;
    for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) cpus.push(n);
  }
  return cpus;
}
