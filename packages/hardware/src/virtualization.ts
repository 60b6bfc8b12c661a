import { Virtualization } from "@phoenix/proto";

/** What the guest's files say about how it runs; every field may be missing. */
export interface VirtFacts {
  /** /sys/class/dmi/id/* values, trimmed. */
  dmi: {
    sysVendor?: string;
    productName?: string;
    productSerial?: string;
    boardVendor?: string;
    chassisVendor?: string;
    chassisAssetTag?: string;
    biosVendor?: string;
  };
  /** Contents of /run/systemd/container. */
  systemdContainer?: string;
  /** `container=` from /proc/1/environ. */
  pid1Container?: string;
  /** /.dockerenv exists. */
  dockerenv?: boolean;
  /** /run/.containerenv exists (podman). */
  containerenv?: boolean;
  /** Output of `systemd-detect-virt` when present ("kvm", "lxc", "none", ...). */
  detectVirt?: string;
  /** The CPU flags include "hypervisor". */
  cpuHypervisorFlag?: boolean;
}

/** How the guest runs and under what. */
export interface VirtResult {
  virtualization: Virtualization;
  /** "proxmox", "qemu", "kvm", "vmware", "lxc", "docker", ...; empty when unknown or bare metal. */
  hypervisor: string;
}

// systemd-detect-virt's container names.
const CONTAINERS = new Set([
  "lxc",
  "lxc-libvirt",
  "docker",
  "podman",
  "rkt",
  "systemd-nspawn",
  "openvz",
  "wsl",
  "proot",
  "pouch",
  "container-other",
]);

// DMI sys_vendor / product_name prefixes and the hypervisor they mean.
const DMI_VMS: ReadonlyArray<[RegExp, string]> = [
  [/^QEMU/i, "qemu"],
  [/^VMware/i, "vmware"],
  [/^innotek GmbH|^VirtualBox/i, "virtualbox"],
  [/^Xen/i, "xen"],
  [/^Parallels/i, "parallels"],
  [/^Bochs/i, "bochs"],
  [/^Amazon EC2/i, "amazon"],
  [/^Google/i, "google"],
  [/^OpenStack/i, "openstack"],
];

/**
 * Decides whether the guest is an LXC, another container, a VM (Proxmox/QEMU from DMI) or bare metal.
 * Containers are checked first: an LXC sees the host's DMI, so DMI alone would call it a VM or bare metal.
 */
export function detectVirtualization(f: VirtFacts): VirtResult {
  const container = containerKind(f);
  if (container === "lxc" || container === "lxc-libvirt") {
    return { virtualization: Virtualization.LXC, hypervisor: "lxc" };
  }
  if (container) return { virtualization: Virtualization.CONTAINER, hypervisor: container };

  const { sysVendor = "", productName = "", biosVendor = "", chassisVendor = "", boardVendor = "" } = f.dmi;
  if (/proxmox/i.test(`${biosVendor} ${sysVendor} ${productName} ${boardVendor}`)) {
    return { virtualization: Virtualization.VM, hypervisor: "proxmox" };
  }
  if (/^Microsoft Corporation/i.test(sysVendor) && /Virtual Machine/i.test(productName)) {
    return { virtualization: Virtualization.VM, hypervisor: "microsoft" };
  }
  for (const value of [sysVendor, productName, chassisVendor, biosVendor]) {
    const hit = DMI_VMS.find(([re]) => re.test(value));
    if (hit) return { virtualization: Virtualization.VM, hypervisor: hit[1] };
  }
  const virt = f.detectVirt?.trim();
  if (virt && virt !== "none") return { virtualization: Virtualization.VM, hypervisor: virt };
  if (f.cpuHypervisorFlag) return { virtualization: Virtualization.VM, hypervisor: "" };
  return { virtualization: Virtualization.BARE_METAL, hypervisor: "" };
}

function containerKind(f: VirtFacts): string | undefined {
  for (const raw of [f.systemdContainer, f.pid1Container]) {
    const v = raw?.trim().toLowerCase();
    if (v) return v;
  }
  const virt = f.detectVirt?.trim().toLowerCase();
  if (virt && CONTAINERS.has(virt)) return virt;
  if (f.containerenv) return "podman";
  if (f.dockerenv) return "docker";
  return undefined;
}
