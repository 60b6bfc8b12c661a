import { readFileSync } from "node:fs";
import { GpuState } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { assembleInventory } from "./collect";
import { gpuReportFrom } from "./gpu-report";
import { inventoryToJson } from "./inventory-json";
import { parseNvidiaSmiList, withMigProfiles } from "./nvidia-smi-list";
import { parseNvidiaSmiXml } from "./nvidia-smi-xml";

const xml = (name: string) =>
  parseNvidiaSmiXml(readFileSync(new URL(`../fixtures/nvidia-smi/${name}`, import.meta.url), "utf8"));

describe("gpuReportFrom", () => {
  it("no nvidia-smi: state NONE and no GPUs", () => {
    const r = gpuReportFrom({ state: "none" });
    expect([r.state, r.gpus, r.error]).toEqual([GpuState.NONE, [], ""]);
  });

  it("an A100 with MIG: MIG capable, enabled, devices with profile, memory and SMs", () => {
    const report = withMigProfiles(
      xml("a100-sxm4-80gb-mig-535.xml"),
      parseNvidiaSmiList(
        "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-5135)\n  MIG 1g.20gb     Device  0: (UUID: MIG-a)\n",
      ),
    );
    const r = gpuReportFrom({ state: "ok", report });
    expect(r.state).toBe(GpuState.OK);
    expect([r.driverVersion, r.cudaVersion]).toEqual(["535.54.03", "12.2"]);
    const gpu = r.gpus[0]!;
    expect(gpu.memoryTotalMib).toBe(81920n);
    expect([gpu.mig?.capable, gpu.mig?.current, gpu.mig?.pending]).toEqual([true, true, true]);
    expect(
      gpu.migDevices.map((d) => [d.index, d.gpuInstanceId, d.profile, d.memoryMib, d.multiprocessorCount]),
    ).toEqual([
      [0, 3, "1g.20gb", 19968n, 14],
      [1, 4, "", 19968n, 14],
      [2, 5, "", 19968n, 14],
      [3, 6, "", 19968n, 14],
    ]);
  });

  it("a GPU without MIG is not MIG capable", () => {
    const gpu = gpuReportFrom({ state: "ok", report: xml("tesla-t4-passthrough-515.xml") }).gpus[0]!;
    expect(gpu.mig).toMatchObject({ capable: false, current: false, pending: false });
    expect([gpu.productName, gpu.brand, gpu.architecture, gpu.pciBusId]).toEqual([
      "Tesla T4",
      "NVIDIA",
      "Turing",
      "00000000:00:1E.0",
    ]);
  });

  it("an error keeps the message and the GPUs still listed", () => {
    const r = gpuReportFrom({
      state: "error",
      reason: "failed",
      message: "boom",
      report: xml("dual-rtx-2080-590.xml"),
    });
    expect([r.state, r.error, r.gpus.length]).toEqual([GpuState.ERROR, "boom", 2]);
  });

  it("prints as protobuf JSON with enum names and string int64s", () => {
    const inv = assembleInventory([
      { gpu: gpuReportFrom({ state: "ok", report: xml("gtx-1660-ti-418.xml") }) },
    ]);
    const json = inventoryToJson(inv) as { gpu: Record<string, unknown> };
    expect(json.gpu).toMatchObject({
      state: "GPU_STATE_OK",
      driverVersion: "418.43",
      gpus: [
        {
          index: 0,
          productName: "Graphics Device",
          memoryTotalMib: "5912",
          architecture: "",
          migDevices: [],
        },
      ],
    });
  });
});
