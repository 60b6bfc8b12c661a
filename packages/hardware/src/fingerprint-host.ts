import { arch, hostname, release, uptime } from "node:os";
import { create, HostSchema } from "@phoenix/proto";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";
import { readMachineId, readOsRelease, readVirtFacts, runDetectVirt } from "./host-facts";
import { detectVirtualization } from "./virtualization";
import { resolveVmid } from "./vmid";

const DOCKER_ARCH: Record<string, string> = { x64: "amd64", ia32: "386", ppc64: "ppc64le" };

/** Node's process.arch as Docker and Swarm name it (x64 → amd64, ...). */
export function dockerArch(nodeArch: string): string {
  return DOCKER_ARCH[nodeArch] ?? nodeArch;
}

/**
 * Host identity: hostname, machine id, OS, kernel, architecture, virtualization and Proxmox vmid.
 * Periodic, because cloud-init may rename a fresh clone after the agent started.
 */
export function createHostFingerprinter(opts: HardwareOptions): Fingerprinter {
  const root = opts.root ?? "/";
  return {
    name: "host",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const [os, machineId, facts, detectVirt] = await Promise.all([
        readOsRelease(root),
        readMachineId(root),
        readVirtFacts(root),
        // systemd-detect-virt looks at the running system, so only when reading the real root.
        root === "/" ? runDetectVirt() : Promise.resolve(undefined),
      ]);
      const virt = detectVirtualization({ ...facts, detectVirt });
      const name = hostname();
      const vmid = resolveVmid({ configured: opts.vmid, hostname: name, dmi: facts.dmi, virt });
      return {
        host: create(HostSchema, {
          hostname: name,
          machineId,
          osDistro: os.id ?? "",
          osRelease: os.versionId ?? "",
          kernel: release(),
          arch: dockerArch(arch()),
          virtualization: virt.virtualization,
          hypervisor: virt.hypervisor,
          vmid: vmid.vmid,
          vmidSource: vmid.source,
          uptimeSeconds: BigInt(Math.floor(uptime())),
        }),
      };
    },
  };
}
