export { assembleInventory, collectInventory } from "./collect";
export { dockerGet } from "./docker-get";
export type { DockerProbe } from "./docker-probe";
export { createDockerProbe } from "./docker-probe";
export { cpuModel, createCpuFingerprinter, schedulingFlags } from "./fingerprint-cpu";
export type { DockerFacts } from "./fingerprint-docker";
export {
  createDockerFingerprinter,
  DEFAULT_DOCKER_SOCKET,
  dockerStateFrom,
  dockerUnreachable,
} from "./fingerprint-docker";
export { createGpuFingerprinter } from "./fingerprint-gpu";
export { createHostFingerprinter, dockerArch } from "./fingerprint-host";
export { createMemoryFingerprinter } from "./fingerprint-memory";
export { createNetworkFingerprinter } from "./fingerprint-network";
export { createStorageFingerprinter, diskMedium, isStorageDisk } from "./fingerprint-storage";
export type {
  FingerprintContext,
  Fingerprinter,
  FingerprinterFactory,
  HardwareLogger,
  HardwareOptions,
  InventoryPart,
} from "./fingerprinter";
export { DEFAULT_INTERVAL_MS, withRetry } from "./fingerprinter";
export { gpuReportFrom } from "./gpu-report";
export type { OsRelease } from "./host-facts";
export { parseOsRelease, readMachineId, readOsRelease, readVirtFacts } from "./host-facts";
export { inventoryToJson } from "./inventory-json";
export type { InventoryManager } from "./inventory-manager";
export { createInventoryManager, significantInventory } from "./inventory-manager";
export type { NvidiaSmiOptions, NvidiaSmiResult } from "./nvidia-smi";
export { NVIDIA_SMI_TIMEOUT_MS, nvidiaDeviceNodes, runNvidiaSmi } from "./nvidia-smi";
export type { NvidiaSmiFailure, NvidiaSmiFailureReason } from "./nvidia-smi-failure";
export { classifyNvidiaSmiFailure } from "./nvidia-smi-failure";
export type { NvidiaSmiListGpu, NvidiaSmiListMig } from "./nvidia-smi-list";
export { parseNvidiaSmiList, withMigProfiles } from "./nvidia-smi-list";
export type { NvidiaSmiGpu, NvidiaSmiMigDevice, NvidiaSmiReport } from "./nvidia-smi-xml";
export { parseNvidiaSmiXml } from "./nvidia-smi-xml";
export { createFingerprinters, fingerprinterRegistry } from "./registry";
export type { SimulatedNvidiaSmi } from "./simulated-nvidia-smi";
export { nvidiaSmiFixture, writeSimulatedNvidiaSmi } from "./simulated-nvidia-smi";
export type { VirtFacts, VirtResult } from "./virtualization";
export { detectVirtualization } from "./virtualization";
export { isProxmoxVmid, resolveVmid } from "./vmid";
