import { Virtualization, VmidSource } from "@phoenix/proto";
import type { VirtFacts, VirtResult } from "./virtualization";

/** Proxmox accepts vmids from 100 to 999999999. */
export function isProxmoxVmid(n: number): boolean {
  return Number.isInteger(n) && n >= 100 && n <= 999_999_999;
}

// "1002", "vmid=1002", "vmid-1002", "pve-1002": what people put in smbios1 serial or a chassis asset tag.
const DMI_VMID = /^(?:vmid\s*[=:_-]?\s*|pve[-_]?)?(\d{3,9})$/i;
// "vm-1002", "ct1002", "lxc-1002", "pve-1002", optionally followed by "-web" or a domain.
const HOSTNAME_VMID = /^(?:vm|ct|lxc|pve)[-_]?(\d{3,9})(?:[-_.].*)?$/i;

/**
 * The Proxmox vmid of the guest and where it came from: the agent's configuration first, then DMI values a
 * Proxmox VM can carry (smbios1 serial, chassis asset tag), then hostname conventions. DMI is only trusted
 * in a QEMU/Proxmox VM: on bare metal a numeric serial is a real serial, and an LXC sees the host's DMI.
 */
export function resolveVmid(input: {
  configured?: number;
  hostname: string;
  dmi: VirtFacts["dmi"];
  virt: VirtResult;
}): { vmid?: number; source: VmidSource } {
  if (input.configured !== undefined && isProxmoxVmid(input.configured)) {
    return { vmid: input.configured, source: VmidSource.CONFIG };
  }
  const qemu =
    input.virt.virtualization === Virtualization.VM && /^(proxmox|qemu|kvm)$/.test(input.virt.hypervisor);
  if (qemu) {
    for (const value of [input.dmi.productSerial, input.dmi.chassisAssetTag]) {
      const n = Number(value?.trim().match(DMI_VMID)?.[1]);
      if (isProxmoxVmid(n)) return { vmid: n, source: VmidSource.DMI };
    }
  }
  const shortName = input.hostname.split(".")[0] ?? "";
  const n = Number(shortName.match(HOSTNAME_VMID)?.[1]);
  if (isProxmoxVmid(n)) return { vmid: n, source: VmidSource.HOSTNAME };
  return { source: VmidSource.UNSPECIFIED };
}
