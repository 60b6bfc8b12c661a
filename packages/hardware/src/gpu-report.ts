import {
  create,
  type GpuReport,
  GpuReportSchema,
  GpuSchema,
  GpuState,
  MigDeviceSchema,
  MigModeSchema,
} from "@phoenix/proto";
import type { NvidiaSmiResult } from "./nvidia-smi";
import type { NvidiaSmiGpu } from "./nvidia-smi-xml";

function gpuMessage(g: NvidiaSmiGpu) {
  return create(GpuSchema, {
    index: g.index,
    uuid: g.uuid ?? "",
    productName: g.productName ?? "",
    brand: g.brand ?? "",
    architecture: g.architecture ?? "",
    memoryTotalMib: BigInt(g.memoryTotalMib ?? 0),
    computeCapability: g.computeCapability ?? "",
    pciBusId: g.pciBusId ?? "",
    mig: create(MigModeSchema, {
      // GPUs without MIG report N/A for both; a MIG-capable GPU says Enabled or Disabled.
      capable: g.migCurrent !== undefined || g.migPending !== undefined,
      current: g.migCurrent ?? false,
      pending: g.migPending ?? false,
    }),
    migDevices: g.migDevices.map((d) =>
      create(MigDeviceSchema, {
        index: d.index,
        gpuInstanceId: d.gpuInstanceId ?? 0,
        computeInstanceId: d.computeInstanceId ?? 0,
        profile: d.profile ?? "",
        memoryMib: BigInt(d.memoryMib ?? 0),
        multiprocessorCount: d.multiprocessorCount ?? 0,
        uuid: d.uuid ?? "",
      }),
    ),
  });
}

/** The protocol's GpuReport for what nvidia-smi said. */
export function gpuReportFrom(result: NvidiaSmiResult): GpuReport {
  if (result.state === "none") return create(GpuReportSchema, { state: GpuState.NONE });
  const report = result.report;
  return create(GpuReportSchema, {
    state: result.state === "ok" ? GpuState.OK : GpuState.ERROR,
    error: result.state === "error" ? result.message : "",
    driverVersion: report?.driverVersion ?? "",
    cudaVersion: report?.cudaVersion ?? "",
    gpus: (report?.gpus ?? []).map(gpuMessage),
  });
}
