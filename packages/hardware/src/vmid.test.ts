import { Virtualization, VmidSource } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import type { VirtFacts, VirtResult } from "./virtualization";
import { resolveVmid } from "./vmid";

const qemu: VirtResult = { virtualization: Virtualization.VM, hypervisor: "qemu" };
const lxc: VirtResult = { virtualization: Virtualization.LXC, hypervisor: "lxc" };
const metal: VirtResult = { virtualization: Virtualization.BARE_METAL, hypervisor: "" };

describe("resolveVmid", () => {
  it.each<[string, number | undefined, string, VirtFacts["dmi"], VirtResult, number | undefined, VmidSource]>(
    [
      [
        "configuration wins over everything",
        1002,
        "vm-2000",
        { productSerial: "3000" },
        qemu,
        1002,
        VmidSource.CONFIG,
      ],
      [
        "a configured vmid outside Proxmox's range is ignored",
        42,
        "vm-2000",
        {},
        qemu,
        2000,
        VmidSource.HOSTNAME,
      ],
      [
        "smbios1 serial holding the vmid",
        undefined,
        "web",
        { productSerial: "1002" },
        qemu,
        1002,
        VmidSource.DMI,
      ],
      [
        "smbios1 serial vmid=1002",
        undefined,
        "web",
        { productSerial: "vmid=1002" },
        qemu,
        1002,
        VmidSource.DMI,
      ],
      [
        "chassis asset tag pve-1002",
        undefined,
        "web",
        { chassisAssetTag: "pve-1002" },
        qemu,
        1002,
        VmidSource.DMI,
      ],
      [
        "serial wins over hostname",
        undefined,
        "vm-2000",
        { productSerial: "1002" },
        qemu,
        1002,
        VmidSource.DMI,
      ],
      [
        "a real serial on bare metal is not a vmid",
        undefined,
        "db",
        { productSerial: "1234567" },
        metal,
        undefined,
        VmidSource.UNSPECIFIED,
      ],
      [
        "an LXC does not read the host's DMI",
        undefined,
        "ct-105",
        { productSerial: "1002" },
        lxc,
        105,
        VmidSource.HOSTNAME,
      ],
      ["hostname vm-1002", undefined, "vm-1002", {}, qemu, 1002, VmidSource.HOSTNAME],
      ["hostname ct105.lab.example", undefined, "ct105.lab.example", {}, lxc, 105, VmidSource.HOSTNAME],
      ["hostname lxc_20001-gpu", undefined, "lxc_20001-gpu", {}, lxc, 20001, VmidSource.HOSTNAME],
      ["hostname pve-1002", undefined, "pve-1002", {}, qemu, 1002, VmidSource.HOSTNAME],
      ["hostname vm (no digits)", undefined, "vm", {}, qemu, undefined, VmidSource.UNSPECIFIED],
      ["hostname vm-12 (below 100)", undefined, "vm-12", {}, qemu, undefined, VmidSource.UNSPECIFIED],
      [
        "hostname web-1002 (no convention)",
        undefined,
        "web-1002",
        {},
        qemu,
        undefined,
        VmidSource.UNSPECIFIED,
      ],
      [
        "serial 'To be filled by O.E.M.'",
        undefined,
        "web",
        { productSerial: "To be filled by O.E.M." },
        qemu,
        undefined,
        VmidSource.UNSPECIFIED,
      ],
    ],
  )("%s", (_what, configured, hostname, dmi, virt, vmid, source) => {
    expect(resolveVmid({ configured, hostname, dmi, virt })).toEqual(
      vmid === undefined ? { source } : { vmid, source },
    );
  });
});
