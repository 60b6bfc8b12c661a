import type { GuestKind } from "@phoenix/model";
import type { GpuFacts, GuestFacts } from "./guest-facts";

/** Prefix of every label Phoenix owns outright. */
export const PHOENIX_PREFIX = "phoenix.";

/** Label keys that describe GPUs: kept as they are while nvidia-smi fails, removed when the GPU is gone. */
export function isGpuLabel(key: string): boolean {
  return key.startsWith("phoenix.gpu.") || key.startsWith("phoenix.cuda.") || key.startsWith("phoenix.mig.");
}

const ARCH_ALIASES: Record<string, string> = {
  x64: "amd64",
  x86_64: "amd64",
  amd64: "amd64",
  aarch64: "arm64",
  arm64: "arm64",
  armv7l: "arm",
  arm: "arm",
  ia32: "386",
  i686: "386",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

/** CPU architecture in Go/Docker naming (amd64, arm64, ...), whatever the OS or Node called it. */
export function normalizeArch(arch: string): string {
  const a = arch.trim().toLowerCase();
  return ARCH_ALIASES[a] ?? (a || "unknown");
}

/** A label value that a placement constraint can always match: spaces and odd characters become '-'. */
export function labelValue(text: string): string {
  return text
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

// compute capability major (and minor) to the architecture family, as GPU Feature Discovery names them
function familyFromComputeCapability(cc: string | undefined): string | undefined {
  const m = cc ? /^(\d+)\.(\d+)$/.exec(cc) : null;
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major === 3) return "kepler";
  if (major === 5) return "maxwell";
  if (major === 6) return "pascal";
  if (major === 7) return minor < 5 ? "volta" : "turing";
  if (major === 8) return minor === 9 ? "ada-lovelace" : "ampere";
  if (major === 9) return "hopper";
  if (major === 10 || major === 12) return "blackwell";
  return undefined;
}

function gpuLabels(gpus: readonly GpuFacts[], facts: GuestFacts): Record<string, string> {
  const first = gpus[0]!;
  const labels: Record<string, string> = {
    "phoenix.gpu.present": "true",
    "phoenix.gpu.count": String(gpus.length),
    "phoenix.gpu.product": labelValue(first.product) || "unknown",
    "phoenix.mig.capable": String(gpus.some((g) => g.migCapable === true)),
  };
  if (first.memoryMiB !== undefined) labels["phoenix.gpu.memory"] = String(first.memoryMiB);
  const family = first.architecture
    ? labelValue(first.architecture.toLowerCase())
    : familyFromComputeCapability(first.computeCapability);
  if (family) labels["phoenix.gpu.family"] = family;
  const cc = first.computeCapability ? /^(\d+)\.(\d+)$/.exec(first.computeCapability) : null;
  if (cc) {
    labels["phoenix.gpu.compute.major"] = cc[1]!;
    labels["phoenix.gpu.compute.minor"] = cc[2]!;
  }
  if (facts.driverVersion) labels["phoenix.cuda.driver-version.full"] = labelValue(facts.driverVersion);
  if (facts.cudaVersion) labels["phoenix.cuda.runtime-version.full"] = labelValue(facts.cudaVersion);
  return labels;
}

/**
 * The `phoenix.*` hardware labels of a guest, named after NVIDIA GPU Feature Discovery so people
 * recognise them. GPU labels come only from a successful GPU read with at least one GPU; the
 * first GPU describes the product, memory and family (GFD assumes one kind per node too).
 */
export function hardwareLabels(
  facts: GuestFacts,
  guest: { kind?: GuestKind; vmid?: number } = {},
): Record<string, string> {
  const labels: Record<string, string> = {
    "phoenix.cpu.arch": normalizeArch(facts.cpuArch),
    "phoenix.cpu.cores": String(facts.cores),
    "phoenix.memory.gib": String(Math.round(facts.memoryBytes / 2 ** 30)),
  };
  const kind = guest.kind ?? facts.kind;
  if (kind) labels["phoenix.guest.kind"] = kind;
  const vmid = guest.vmid ?? facts.vmid;
  if (vmid !== undefined) labels["phoenix.guest.vmid"] = String(vmid);
  if (facts.gpuState === "ok" && facts.gpus.length > 0) Object.assign(labels, gpuLabels(facts.gpus, facts));
  return labels;
}
