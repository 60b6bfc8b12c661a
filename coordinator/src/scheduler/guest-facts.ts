import type { GuestKind } from "@phoenix/model";

/** One GPU as the scheduler needs it (mapped from the agent's inventory). */
export interface GpuFacts {
  /** Product name, e.g. "NVIDIA GeForce RTX 4090". */
  product: string;
  /** Framebuffer memory in MiB. */
  memoryMiB?: number;
  /** Architecture as nvidia-smi names it, e.g. "Ada Lovelace"; absent on drivers that do not say. */
  architecture?: string;
  /** Compute capability "major.minor", e.g. "8.9". */
  computeCapability?: string;
  /** True when the GPU supports MIG. */
  migCapable?: boolean;
}

/**
 * What the scheduler knows about a guest's hardware: a small, stable view of the agent's
 * Inventory message, so scheduling stays independent of the protocol's details.
 */
export interface GuestFacts {
  vmid?: number;
  hostname: string;
  /** What the agent detected; the model's kind wins for model guests. */
  kind?: GuestKind;
  /** CPU architecture as the OS reports it ("x86_64", "x64", "aarch64", "arm64", ...). */
  cpuArch: string;
  cores: number;
  memoryBytes: number;
  /** ok: GPUs read (possibly none); none: no NVIDIA driver/GPU; error: nvidia-smi failed. */
  gpuState: "ok" | "error" | "none";
  /** GPUs in index order. */
  gpus: GpuFacts[];
  /** NVIDIA driver version, e.g. "550.54.15". */
  driverVersion?: string;
  /** Highest CUDA version the driver supports, e.g. "12.4". */
  cudaVersion?: string;
}
