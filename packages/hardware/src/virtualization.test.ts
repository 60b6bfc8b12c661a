import { Virtualization } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { detectVirtualization, type VirtFacts } from "./virtualization";

const facts = (f: Partial<VirtFacts>): VirtFacts => ({ dmi: {}, ...f });

describe("detectVirtualization", () => {
  it.each<[string, Partial<VirtFacts>, Virtualization, string]>([
    [
      "a Proxmox VM with SeaBIOS (default i440fx machine)",
      { dmi: { sysVendor: "QEMU", productName: "Standard PC (i440FX + PIIX, 1996)", biosVendor: "SeaBIOS" } },
      Virtualization.VM,
      "qemu",
    ],
    [
      "a Proxmox VM with OVMF (q35)",
      {
        dmi: {
          sysVendor: "QEMU",
          productName: "Standard PC (Q35 + ICH9, 2009)",
          biosVendor: "Proxmox distribution of EDK II",
        },
      },
      Virtualization.VM,
      "proxmox",
    ],
    [
      "a Proxmox VM whose smbios1 manufacturer was changed",
      { dmi: { sysVendor: "Homelab", productName: "web-1", chassisVendor: "QEMU", biosVendor: "SeaBIOS" } },
      Virtualization.VM,
      "qemu",
    ],
    [
      "a Proxmox LXC (container=lxc in pid 1's environment) seeing the host's DMI",
      { pid1Container: "lxc", dmi: { sysVendor: "Supermicro", productName: "SYS-5019C-M" } },
      Virtualization.LXC,
      "lxc",
    ],
    ["an LXC found by systemd", { systemdContainer: "lxc\n" }, Virtualization.LXC, "lxc"],
    ["an LXC found by systemd-detect-virt", { detectVirt: "lxc" }, Virtualization.LXC, "lxc"],
    ["a Docker container", { dockerenv: true, cpuHypervisorFlag: true }, Virtualization.CONTAINER, "docker"],
    ["a podman container", { containerenv: true }, Virtualization.CONTAINER, "podman"],
    ["systemd-nspawn", { systemdContainer: "systemd-nspawn" }, Virtualization.CONTAINER, "systemd-nspawn"],
    [
      "VMware",
      { dmi: { sysVendor: "VMware, Inc.", productName: "VMware Virtual Platform" } },
      Virtualization.VM,
      "vmware",
    ],
    [
      "Hyper-V",
      { dmi: { sysVendor: "Microsoft Corporation", productName: "Virtual Machine" } },
      Virtualization.VM,
      "microsoft",
    ],
    [
      "a Surface laptop is not a VM",
      { dmi: { sysVendor: "Microsoft Corporation", productName: "Surface Laptop 4" } },
      Virtualization.BARE_METAL,
      "",
    ],
    ["a VM without DMI, named by systemd-detect-virt", { detectVirt: "kvm" }, Virtualization.VM, "kvm"],
    ["a VM known only from the CPU's hypervisor flag", { cpuHypervisorFlag: true }, Virtualization.VM, ""],
    [
      "bare metal",
      {
        dmi: { sysVendor: "Dell Inc.", productName: "PowerEdge R640" },
        detectVirt: "none",
        cpuHypervisorFlag: false,
      },
      Virtualization.BARE_METAL,
      "",
    ],
    ["nothing known", {}, Virtualization.BARE_METAL, ""],
  ])("%s", (_what, f, virtualization, hypervisor) => {
    expect(detectVirtualization(facts(f))).toEqual({ virtualization, hypervisor });
  });
});
