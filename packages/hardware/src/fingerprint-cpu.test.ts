import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuModel, createCpuFingerprinter, schedulingFlags } from "./fingerprint-cpu";

describe("schedulingFlags", () => {
  it("keeps the flags that matter, sorted, once", () => {
    expect(
      schedulingFlags(
        "fpu vme sse4_2 avx2 avx avx512f avx512_vnni hypervisor aes sha_ni avx2 amx_tile pdpe1gb",
      ),
    ).toEqual(["aes", "amx_tile", "avx", "avx2", "avx512_vnni", "avx512f", "sha_ni", "sse4_2"]);
  });
  it.each([
    [
      "arm64",
      "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics sve",
      ["aes", "asimd", "atomics", "sha2", "sve"],
    ],
    ["no flags", "", []],
  ])("%s", (_what, flags, expected) => {
    expect(schedulingFlags(flags)).toEqual(expected);
  });
});

describe("cpuModel", () => {
  it.each([
    ["AMD", "EPYC 7543 32-Core Processor", "AMD EPYC 7543 32-Core Processor"],
    ["Intel", "Xeon® Gold 6130", "Intel Xeon® Gold 6130"],
    ["AMD", "AMD EPYC", "AMD EPYC"],
    ["", "Neoverse-N1", "Neoverse-N1"],
    ["ARM", "", "ARM"],
  ])("%j + %j", (manufacturer, brand, model) => {
    expect(cpuModel(manufacturer, brand)).toBe(model);
  });
});

// Real files under a root directory laid out like /proc and /sys.
describe("createCpuFingerprinter", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "phoenix-cpu-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const put = async (path: string, text: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  };

  it("arm64: cores from the topology of the online CPUs, clock from cpufreq", async () => {
    const cpu = (n: number) =>
      `processor\t: ${n}\nFeatures\t: fp asimd aes sha2 atomics\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n`;
    await put("proc/cpuinfo", [0, 1, 2, 3].map(cpu).join("\n"));
    await put("sys/devices/system/cpu/online", "0-3\n");
    for (const n of [0, 1, 2, 3]) {
      await put(`sys/devices/system/cpu/cpu${n}/topology/physical_package_id`, "0\n");
      await put(`sys/devices/system/cpu/cpu${n}/topology/core_id`, `${n >> 1}\n`);
    }
    await put("sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "2600000\n");
    const { cpu: got } = await createCpuFingerprinter({ root }).fingerprint({});
    expect(got).toMatchObject({
      vendor: "ARM",
      model: "Neoverse-N1",
      cores: 2,
      threads: 4,
      mhz: 2600,
      flags: ["aes", "asimd", "atomics", "sha2"],
    });
  });
});
