import type { NvidiaSmiReport } from "./nvidia-smi-xml";

/** One MIG device line of `nvidia-smi -L`. */
export interface NvidiaSmiListMig {
  profile: string;
  index: number;
  uuid: string;
}

/** One GPU of `nvidia-smi -L` with its MIG devices. */
export interface NvidiaSmiListGpu {
  index: number;
  name: string;
  uuid: string;
  migDevices: NvidiaSmiListMig[];
}

const GPU_LINE = /^GPU (\d+): (.+?) \(UUID: ([^)]+)\)\s*$/;
const MIG_LINE = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: ([^)]+)\)\s*$/;

/** Parses `nvidia-smi -L`; lines it does not recognise (errors, warnings, other output) are skipped. */
export function parseNvidiaSmiList(text: string): NvidiaSmiListGpu[] {
  const gpus: NvidiaSmiListGpu[] = [];
  for (const line of text.split(/\r?\n/)) {
    const gpu = line.match(GPU_LINE);
    if (gpu) {
      gpus.push({ index: Number(gpu[1]), name: gpu[2]!, uuid: gpu[3]!, migDevices: [] });
      continue;
    }
    const mig = line.match(MIG_LINE);
    const last = gpus.at(-1);
    if (mig && last) last.migDevices.push({ profile: mig[1]!, index: Number(mig[2]), uuid: mig[3]! });
  }
  return gpus;
}

/** Adds MIG profile names and UUIDs from `nvidia-smi -L` to a parsed XML report (matched by GPU and MIG index). */
export function withMigProfiles(report: NvidiaSmiReport, list: readonly NvidiaSmiListGpu[]): NvidiaSmiReport {
  return {
    ...report,
    gpus: report.gpus.map((gpu) => {
      const listed = list.find((l) => l.index === gpu.index);
      if (!listed || gpu.migDevices.length === 0) return gpu;
      return {
        ...gpu,
        migDevices: gpu.migDevices.map((dev) => {
          const mig = listed.migDevices.find((m) => m.index === dev.index);
          return mig ? { ...dev, profile: mig.profile, uuid: mig.uuid } : dev;
        }),
      };
    }),
  };
}
