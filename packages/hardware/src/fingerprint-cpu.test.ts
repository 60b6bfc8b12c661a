import { describe, expect, it } from "vitest";
import { cpuModel, parseCpuinfoMhz, schedulingFlags } from "./fingerprint-cpu";

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

describe("parseCpuinfoMhz", () => {
  it.each([
    ["processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 2445.406\n", 2445.406],
    ["processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\n", 0],
  ])("%j", (text, mhz) => {
    expect(parseCpuinfoMhz(text)).toBe(mhz);
  });
});
