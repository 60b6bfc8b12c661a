import type { GuestKind } from "@phoenix/model";
import { GpuState, type Inventory, Virtualization } from "@phoenix/proto";
import type { GpuFacts, GuestFacts } from "./scheduler/guest-facts";

function kindOf(v: Virtualization | undefined): GuestKind | undefined {
  if (v === Virtualization.LXC) return "lxc";
  if (v === Virtualization.VM) return "vm";
  return undefined;
}

function gpuState(s: GpuState | undefined): GuestFacts["gpuState"] {
  if (s === GpuState.OK) return "ok";
  if (s === GpuState.ERROR) return "error";
  return "none";
}

/** The scheduler's view of an agent's inventory: hardware facts only, protocol details left behind. */
export function factsFromInventory(inv: Inventory): GuestFacts {
  const host = inv.host;
  const gpu = inv.gpu;
  const facts: GuestFacts = {
    hostname: host?.hostname ?? "",
    cpuArch: host?.arch ?? "",
    cores: inv.cpu?.cores || inv.cpu?.threads || 0,
    memoryBytes: Number(inv.memory?.totalBytes ?? 0n),
    gpuState: gpuState(gpu?.state),
    gpus: (gpu?.state === GpuState.OK ? gpu.gpus : []).map((g) => {
      const f: GpuFacts = { product: g.productName };
      if (g.memoryTotalMib > 0n) f.memoryMiB = Number(g.memoryTotalMib);
      if (g.architecture) f.architecture = g.architecture;
      if (g.computeCapability) f.computeCapability = g.computeCapability;
      if (g.mig) f.migCapable = g.mig.capable;
      return f;
    }),
  };
  if (host?.vmid !== undefined) facts.vmid = host.vmid;
  const kind = kindOf(host?.virtualization);
  if (kind) facts.kind = kind;
  if (gpu?.driverVersion) facts.driverVersion = gpu.driverVersion;
  if (gpu?.cudaVersion) facts.cudaVersion = gpu.cudaVersion;
  return facts;
}
