import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyNvidiaSmiFailure, type NvidiaSmiFailureReason } from "./nvidia-smi-failure";
import { parseNvidiaSmiList } from "./nvidia-smi-list";
import { type NvidiaSmiGpu, type NvidiaSmiReport, parseNvidiaSmiXml } from "./nvidia-smi-xml";

// Every real capture in fixtures/nvidia-smi, with the values read off the XML by hand.
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/nvidia-smi/${name}`, import.meta.url), "utf8");

const noMig = { migCurrent: undefined, migPending: undefined, migDevices: [] };

function gpu(g: Partial<NvidiaSmiGpu> & { index: number }): NvidiaSmiGpu {
  return {
    uuid: undefined,
    productName: undefined,
    brand: undefined,
    architecture: undefined,
    memoryTotalMib: undefined,
    computeCapability: undefined,
    pciBusId: undefined,
    ...noMig,
    ...g,
  };
}

const a100Mig = [0, 1, 2, 3].map((i) => ({
  index: i,
  gpuInstanceId: i + 3,
  computeInstanceId: 0,
  memoryMib: 19968,
  multiprocessorCount: 14,
}));

const rtx2080 = {
  uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
  productName: "NVIDIA GeForce RTX 2080",
  brand: "GeForce",
  architecture: "Turing",
  memoryTotalMib: 8192,
};

const cases: Array<[string, NvidiaSmiReport]> = [
  [
    "gtx-1070-ti-trimmed.xml",
    {
      driverVersion: undefined,
      cudaVersion: undefined,
      attachedGpus: undefined,
      gpus: [
        gpu({
          index: 0,
          uuid: "GPU-f9ba66fc-a7f5-94c5-da19-019ef2f9c665",
          productName: "GeForce GTX 1070 Ti",
          memoryTotalMib: 4096,
          pciBusId: "00000000:01:00.0",
        }),
      ],
    },
  ],
  [
    "gtx-1660-ti-418.xml",
    {
      driverVersion: "418.43",
      cudaVersion: "10.1",
      attachedGpus: 1,
      gpus: [
        gpu({
          index: 0,
          uuid: "GPU-304a277d-3545-63b8-3a36-dfde3c992989",
          productName: "Graphics Device",
          brand: "GeForce",
          memoryTotalMib: 5912,
          pciBusId: "00000000:43:00.0",
        }),
      ],
    },
  ],
  [
    "tesla-p100-passthrough-510.xml",
    {
      driverVersion: "510.47.03",
      cudaVersion: "11.6",
      attachedGpus: 1,
      gpus: [
        gpu({
          index: 0,
          uuid: "GPU-d3da8716-eaab-75db-efc1-60e88e1cd55e",
          productName: "Tesla P100-PCIE-16GB",
          brand: "Tesla",
          architecture: "Pascal",
          memoryTotalMib: 16384,
          pciBusId: "00000000:00:04.0",
        }),
      ],
    },
  ],
  [
    "tesla-t4-passthrough-515.xml",
    {
      driverVersion: "515.105.01",
      cudaVersion: "11.7",
      attachedGpus: 1,
      gpus: [
        gpu({
          index: 0,
          uuid: "GPU-d37e67a5-91dd-3774-a5cb-99096249601a",
          productName: "Tesla T4",
          brand: "NVIDIA",
          architecture: "Turing",
          memoryTotalMib: 15360,
          pciBusId: "00000000:00:1E.0",
        }),
      ],
    },
  ],
  [
    "rtx-2080-windows-516.xml",
    {
      driverVersion: "516.59",
      cudaVersion: "11.7",
      attachedGpus: 1,
      gpus: [
        gpu({
          index: 0,
          uuid: "GPU-fbd55ed4-1eec-4423-0a47-ad594b4333e3",
          productName: "NVIDIA GeForce RTX 2080",
          brand: "GeForce",
          architecture: "Turing",
          memoryTotalMib: 8192,
          pciBusId: "00000000:0A:00.0",
        }),
      ],
    },
  ],
  [
    "a100-sxm4-80gb-mig-535.xml",
    {
      driverVersion: "535.54.03",
      cudaVersion: "12.2",
      attachedGpus: 4,
      gpus: [
        gpu({
          index: 0,
          uuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
          productName: "NVIDIA A100-SXM4-80GB",
          brand: "NVIDIA",
          architecture: "Ampere",
          memoryTotalMib: 81920,
          pciBusId: "00000000:01:00.0",
          migCurrent: true,
          migPending: true,
          migDevices: a100Mig,
        }),
      ],
    },
  ],
  [
    "dual-rtx-2080-590.xml",
    {
      driverVersion: "590.44.01",
      cudaVersion: "13.1",
      attachedGpus: 2,
      gpus: [
        gpu({ index: 0, ...rtx2080, pciBusId: "00000000:01:00.0" }),
        gpu({ index: 1, ...rtx2080, pciBusId: "00000000:02:00.0" }),
      ],
    },
  ],
];

describe("parseNvidiaSmiXml on real captures", () => {
  it.each(cases)("%s", (name, expected) => {
    expect(parseNvidiaSmiXml(fixture(name))).toEqual(expected);
  });
});

describe("parseNvidiaSmiList on real captures", () => {
  it("h100-mig-590.list.txt lists one H100 with four MIG devices", () => {
    expect(parseNvidiaSmiList(fixture("h100-mig-590.list.txt"))).toEqual([
      {
        index: 0,
        name: "NVIDIA H100 80GB HBM3",
        uuid: "GPU-00000000-0000-0000-0000-000000000000",
        migDevices: [
          { profile: "3g.40gb", index: 0, uuid: "MIG-00000000-0000-0000-0000-000000000000" },
          { profile: "2g.20gb", index: 1, uuid: "MIG-00000001-0000-0000-0000-000000000001" },
          { profile: "1g.10gb", index: 2, uuid: "MIG-00000002-0000-0000-0000-000000000002" },
          { profile: "1g.10gb", index: 3, uuid: "MIG-00000003-0000-0000-0000-000000000003" },
        ],
      },
    ]);
  });
});

describe("classifyNvidiaSmiFailure on real failure outputs", () => {
  const failures: Array<[string, number, NvidiaSmiFailureReason, string]> = [
    [
      "driver-not-loaded.txt",
      9,
      "driver-not-loaded",
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    ],
    ["no-devices.txt", 6, "no-devices", "No devices were found"],
    [
      "version-mismatch-460.txt",
      18,
      "version-mismatch",
      "Failed to initialize NVML: Driver/library version mismatch",
    ],
    [
      "version-mismatch-570.txt",
      18,
      "version-mismatch",
      "Failed to initialize NVML: Driver/library version mismatch; NVML library version: 570.124",
    ],
    ["nvml-unknown-error.txt", 255, "nvml-error", "Failed to initialize NVML: Unknown Error"],
  ];

  it.each(failures)("errors/%s", (name, exitCode, reason, message) => {
    expect(classifyNvidiaSmiFailure(exitCode, fixture(`errors/${name}`), "")).toEqual({
      state: "error",
      reason,
      message,
    });
  });

  it.each(failures)("errors/%s on stderr reads the same", (name, exitCode, reason) => {
    expect(classifyNvidiaSmiFailure(exitCode, "", fixture(`errors/${name}`))).toMatchObject({ reason });
  });
});
