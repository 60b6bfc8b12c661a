import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseOsRelease, readMachineId, readOsRelease, readVirtFacts } from "./host-facts";

describe("parseOsRelease", () => {
  it.each([
    [
      'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n',
      { id: "debian", versionId: "12", name: "Debian GNU/Linux" },
    ],
    [
      "ID=ubuntu\nVERSION_ID='24.04'\n# comment\nNAME=Ubuntu",
      { id: "ubuntu", versionId: "24.04", name: "Ubuntu" },
    ],
    ['ID=arch\nNAME="Arch Linux"\n', { id: "arch", versionId: undefined, name: "Arch Linux" }],
    ["", { id: undefined, versionId: undefined, name: undefined }],
  ])("%j", (text, expected) => {
    expect(parseOsRelease(text)).toEqual(expected);
  });
});

// A guest's files laid out in a temporary root, read through the real filesystem.
describe("reading a guest's files", () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    root = undefined;
  });
  async function tree(files: Record<string, string>): Promise<string> {
    root = await mkdtemp(join(tmpdir(), "phoenix-root-"));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    return root;
  }

  it("reads a Proxmox LXC", async () => {
    const r = await tree({
      "proc/1/environ": "PATH=/usr/bin\0container=lxc\0TERM=linux\0",
      "proc/cpuinfo": "processor\t: 0\nflags\t\t: fpu vme avx2 hypervisor\n",
      "sys/class/dmi/id/sys_vendor": "Supermicro\n",
      "etc/machine-id": "3d1219c7c4c5404aaa1f6d2a48adfda4\n",
      "usr/lib/os-release": 'ID=debian\nVERSION_ID="12"\n',
    });
    expect(await readVirtFacts(r)).toEqual({
      dmi: { sysVendor: "Supermicro" },
      systemdContainer: undefined,
      pid1Container: "lxc",
      dockerenv: false,
      containerenv: false,
      cpuHypervisorFlag: true,
    });
    expect(await readMachineId(r)).toBe("3d1219c7c4c5404aaa1f6d2a48adfda4");
    expect(await readOsRelease(r)).toMatchObject({ id: "debian", versionId: "12" });
  });

  it("reads a QEMU VM's DMI", async () => {
    const r = await tree({
      "sys/class/dmi/id/sys_vendor": "QEMU\n",
      "sys/class/dmi/id/product_name": "Standard PC (Q35 + ICH9, 2009)\n",
      "sys/class/dmi/id/product_serial": "1002\n",
      "sys/class/dmi/id/bios_vendor": "Proxmox distribution of EDK II\n",
      "run/systemd/container": "",
    });
    const facts = await readVirtFacts(r);
    expect(facts.dmi).toEqual({
      sysVendor: "QEMU",
      productName: "Standard PC (Q35 + ICH9, 2009)",
      productSerial: "1002",
      biosVendor: "Proxmox distribution of EDK II",
    });
    expect(facts.systemdContainer).toBeUndefined();
  });

  it("reads an empty root as nothing known", async () => {
    const r = await tree({});
    expect(await readMachineId(r)).toBe("");
    expect(await readOsRelease(r)).toEqual({});
    expect(await readVirtFacts(r)).toMatchObject({ dmi: {}, dockerenv: false, cpuHypervisorFlag: undefined });
  });
});
