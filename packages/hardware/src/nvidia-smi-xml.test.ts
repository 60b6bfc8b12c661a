import { PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { parseNvidiaSmiXml } from "./nvidia-smi-xml";

const doc = (gpu: string) =>
  `<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">\n<nvidia_smi_log><driver_version>550.54.15</driver_version><gpu id="00000000:3B:00.0">${gpu}</gpu></nvidia_smi_log>`;

describe("parseNvidiaSmiXml: values drivers leave out", () => {
  it.each([
    "N/A",
    "[N/A]",
    "Not Supported",
    "[Not Supported]",
    "Unknown Error",
    "[Insufficient Permissions]",
    "Requested functionality has been deprecated",
    "",
    "  N/A  ",
  ])("%j becomes undefined without a crash", (value) => {
    const report = parseNvidiaSmiXml(
      doc(
        `<product_name>${value}</product_name><product_brand>${value}</product_brand><product_architecture>${value}</product_architecture><uuid>${value}</uuid><fb_memory_usage><total>${value}</total></fb_memory_usage><mig_mode><current_mig>${value}</current_mig><pending_mig>${value}</pending_mig></mig_mode><compute_cap>${value}</compute_cap><pci><pci_bus_id>${value}</pci_bus_id></pci>`,
      ),
    );
    expect(report.gpus).toEqual([
      {
        index: 0,
        uuid: undefined,
        productName: undefined,
        brand: undefined,
        architecture: undefined,
        memoryTotalMib: undefined,
        computeCapability: undefined,
        // falls back to the id attribute of <gpu>
        pciBusId: "00000000:3B:00.0",
        migCurrent: undefined,
        migPending: undefined,
        migDevices: [],
      },
    ]);
  });

  it("reads an empty <gpu/> as a GPU with nothing known", () => {
    const report = parseNvidiaSmiXml("<nvidia_smi_log><gpu/></nvidia_smi_log>");
    expect(report.gpus).toHaveLength(1);
    expect(report.gpus[0]).toMatchObject({ index: 0, uuid: undefined, migDevices: [] });
  });

  it("reads a log without GPUs as no GPUs", () => {
    expect(parseNvidiaSmiXml("<nvidia_smi_log><attached_gpus>0</attached_gpus></nvidia_smi_log>")).toEqual({
      driverVersion: undefined,
      cudaVersion: undefined,
      attachedGpus: 0,
      gpus: [],
    });
  });

  it.each([
    ["Enabled", "Disabled", true, false],
    ["Disabled", "Enabled", false, true],
    ["Disabled", "Disabled", false, false],
  ])("MIG current %s / pending %s", (current, pending, c, p) => {
    const report = parseNvidiaSmiXml(
      doc(`<mig_mode><current_mig>${current}</current_mig><pending_mig>${pending}</pending_mig></mig_mode>`),
    );
    expect(report.gpus[0]).toMatchObject({ migCurrent: c, migPending: p });
  });

  it.each([
    ["8.0", "8.0"],
    ["12.0", "12.0"],
    ["eight", undefined],
  ])("compute capability %j where the driver reports it", (value, expected) => {
    expect(parseNvidiaSmiXml(doc(`<compute_cap>${value}</compute_cap>`)).gpus[0]?.computeCapability).toBe(
      expected,
    );
  });

  it.each([
    ["40960 MiB", 40960],
    ["24 GiB", 24576],
    ["81559MiB", 81559],
    ["lots", undefined],
  ])("memory %j reads as %j MiB", (value, mib) => {
    expect(
      parseNvidiaSmiXml(doc(`<fb_memory_usage><total>${value}</total></fb_memory_usage>`)).gpus[0]
        ?.memoryTotalMib,
    ).toBe(mib);
  });

  it("reads a single MIG device (not wrapped in an array by the XML)", () => {
    const report = parseNvidiaSmiXml(
      doc(
        "<mig_devices><mig_device><index>0</index><gpu_instance_id>1</gpu_instance_id><compute_instance_id>0</compute_instance_id><device_attributes><shared><multiprocessor_count>60</multiprocessor_count></shared></device_attributes><fb_memory_usage><total>40448 MiB</total></fb_memory_usage></mig_device></mig_devices>",
      ),
    );
    expect(report.gpus[0]?.migDevices).toEqual([
      { index: 0, gpuInstanceId: 1, computeInstanceId: 0, memoryMib: 40448, multiprocessorCount: 60 },
    ]);
  });

  it("ignores text printed before the XML", () => {
    const report = parseNvidiaSmiXml(
      `WARNING: infoROM is corrupted at gpu 0000:01:00.0\n${doc("<uuid>GPU-1</uuid>")}`,
    );
    expect(report.gpus[0]?.uuid).toBe("GPU-1");
  });

  it.each([
    ["not XML at all", "No devices were found"],
    ["cut-off XML", "<nvidia_smi_log><gpu><uuid>GPU-1</uuid>"],
  ])("rejects %s with a clear error", (_what, text) => {
    expect(() => parseNvidiaSmiXml(text)).toThrow(PhoenixError);
    expect(() => parseNvidiaSmiXml(text)).toThrow(/nvidia-smi output/);
  });
});
