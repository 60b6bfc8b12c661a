import { describe, expect, it } from "vitest";
import { cpuVendor, parseCpuinfo, parseCpuList, splitModelName } from "./cpuinfo";

const flagsLine = "fpu vme de pse tsc sse4_1 sse4_2 avx avx2 hypervisor";

/** A /proc/cpuinfo of `count` processors, each described by `lines`. */
const cpuinfo = (count: number, lines: (n: number) => string[]) =>
  Array.from({ length: count }, (_, n) => lines(n).join("\n")).join("\n\n");

// Two hyperthreads of one core, as a VM with host CPU type sees them.
const intelVm = cpuinfo(2, (n) => [
  `processor\t: ${n}`,
  "vendor_id\t: GenuineIntel",
  "cpu family\t: 6",
  "model\t\t: 85",
  "model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz",
  "cpu MHz\t\t: 2095.078",
  "physical id\t: 0",
  "siblings\t: 2",
  "core id\t\t: 0",
  "cpu cores\t: 1",
  `flags\t\t: ${flagsLine}`,
]);

// This build machine's own /proc/cpuinfo (two cores, no clock in the model name).
const amdVm = cpuinfo(2, (n) => [
  `processor\t: ${n}`,
  "vendor_id\t: AuthenticAMD",
  "model name\t: AMD EPYC",
  "cpu MHz\t\t: 2096.017",
  "physical id\t: 0",
  "siblings\t: 2",
  `core id\t\t: ${n}`,
  "cpu cores\t: 2",
  `flags\t\t: ${flagsLine}`,
  "power management:",
]);

const graviton2Flags =
  "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs";

const graviton2 = cpuinfo(4, (n) => [
  `processor\t: ${n}`,
  "BogoMIPS\t: 243.75",
  `Features\t: ${graviton2Flags}`,
  "CPU implementer\t: 0x41",
  "CPU architecture: 8",
  "CPU variant\t: 0x3",
  "CPU part\t: 0xd0c",
  "CPU revision\t: 1",
]);

describe("parseCpuinfo", () => {
  it.each([
    [
      "an Intel VM: one core with two threads, flags of the first processor",
      `${intelVm}\n\n`,
      ["GenuineIntel", "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", flagsLine, 2095.078, 2, 1],
    ],
    ["an AMD VM: two cores", amdVm, ["AuthenticAMD", "AMD EPYC", flagsLine, 2096.017, 2, 2]],
    [
      "arm64: vendor and core from the implementer and part, no clock, no core ids",
      graviton2,
      ["ARM", "Neoverse-N1", graviton2Flags, 0, 4, 0],
    ],
    [
      "an arm64 core it has no name for",
      "processor\t: 0\nCPU implementer\t: 0x51\nCPU part\t: 0x001\n",
      ["Qualcomm", "", "", 0, 1, 0],
    ],
    ["nothing readable", "", ["", "", "", 0, 0, 0]],
  ] as const)("%s", (_what, text, [vendorId, modelName, flags, mhz, processors, cores]) => {
    expect(parseCpuinfo(text)).toEqual({ vendorId, modelName, flags, mhz, processors, cores });
  });
});

describe("splitModelName", () => {
  it.each([
    ["Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", "Intel", "Xeon® Gold 6130", 2.1],
    ["Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", "Intel", "Core™ i7-8700", 3.2],
    ["AMD EPYC 7543 32-Core Processor", "AMD", "EPYC 7543 32-Core Processor", 0],
    ["AMD EPYC", "AMD", "EPYC", 0],
    ["QEMU Virtual CPU version 2.5+", "QEMU", "Virtual version 2.5+", 0],
    ["Common KVM processor", "Common", "KVM processor", 0],
    ["Neoverse-N1", "Neoverse-N1", "", 0],
    ["Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "Intel", "Xeon® E5-2680 v4", 2.4],
    ["", "", "", 0],
  ])("%j", (modelName, manufacturer, brand, ghz) => {
    expect(splitModelName(modelName)).toEqual({ manufacturer, brand, ghz });
  });
});

describe("cpuVendor", () => {
  it.each([
    ["GenuineIntel", "Intel"],
    ["AuthenticAMD", "AMD"],
    ["HygonGenuine", "Hygon"],
    ["CentaurHauls", "WinChip/Via"],
    ["ARM", "ARM"],
    ["Ampere", "Ampere"],
    ["", ""],
  ])("%j → %j", (text, vendor) => {
    expect(cpuVendor(text)).toBe(vendor);
  });
});

describe("parseCpuList", () => {
  it.each([
    ["0-3\n", [0, 1, 2, 3]],
    ["0,2,4-5", [0, 2, 4, 5]],
    ["7", [7]],
    ["", []],
  ])("%j", (list, cpus) => {
    expect(parseCpuList(list)).toEqual(cpus);
  });
});
