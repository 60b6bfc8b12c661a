import { describe, expect, it } from "vitest";
import { diskMedium, disksFromLsblk, filesystemsFromDf, isStorageDisk } from "./fingerprint-storage";

describe("isStorageDisk", () => {
  it.each([
    ["sda", "disk", 500e9, true],
    ["nvme0n1", "disk", 1e12, true],
    ["vda", "disk", 274877906944, true],
    ["zram0", "disk", 4e9, false],
    ["loop3", "loop", 1e8, false],
    ["sr0", "rom", 1e9, false],
    ["sdb1", "part", 5e11, false],
    ["sdc", "disk", 0, false],
  ])("%s (%s, %d bytes) → %s", (name, type, size, expected) => {
    expect(isStorageDisk(name, type, size)).toBe(expected);
  });
});

describe("diskMedium", () => {
  it.each([
    ["nvme0n1", "Samsung SSD 980 PRO 1TB", false, "nvme"],
    ["vda", "", true, "virtual"],
    ["sda", "QEMU HARDDISK", true, "virtual"],
    ["sda", "WDC WD40EFRX-68N32N0", true, "hdd"],
    ["sdb", "Samsung SSD 870", false, "ssd"],
  ])("%s %j rotational=%s → %s", (name, model, rotational, medium) => {
    expect(diskMedium(name, model, rotational)).toBe(medium);
  });
});

describe("disksFromLsblk", () => {
  it("util-linux 2.38 (numbers and booleans): storage disks only, children included, sorted", () => {
    const json = JSON.stringify({
      blockdevices: [
        { name: "zram0", type: "disk", size: 0, rota: false, model: null },
        {
          name: "sda",
          type: "disk",
          size: 500107862016,
          rota: true,
          model: "WDC WD5000AAKX  ",
          children: [{ name: "sda1", type: "part", size: 500106813440, rota: true, model: null }],
        },
        { name: "nvme0n1", type: "disk", size: 1000204886016, rota: false, model: "Samsung SSD 980 PRO 1TB" },
        { name: "sr0", type: "rom", size: 1073741312, rota: true, model: "QEMU DVD-ROM" },
        { name: "vda", type: "disk", size: 274877906944, rota: true, model: null },
      ],
    });
    expect(disksFromLsblk(json)).toMatchObject([
      {
        device: "nvme0n1",
        model: "Samsung SSD 980 PRO 1TB",
        sizeBytes: 1000204886016n,
        rotational: false,
        medium: "nvme",
      },
      { device: "sda", model: "WDC WD5000AAKX", sizeBytes: 500107862016n, rotational: true, medium: "hdd" },
      { device: "vda", model: "", sizeBytes: 274877906944n, rotational: true, medium: "virtual" },
    ]);
  });

  it("util-linux before 2.33 (every value a string)", () => {
    const json =
      '{"blockdevices": [{"name": "sdb", "type": "disk", "size": "240057409536", "rota": "0", "model": "Samsung SSD 870"}]}';
    expect(disksFromLsblk(json)).toMatchObject([
      { device: "sdb", sizeBytes: 240057409536n, rotational: false, medium: "ssd" },
    ]);
  });
});

describe("filesystemsFromDf", () => {
  it("storage filesystems with their exact size and use, one per mount point", () => {
    const df = [
      "Filesystem              Type         1-blocks        Used   Available Capacity Mounted on",
      "devtmpfs                devtmpfs  12630843392           0 12630843392       0% /dev",
      "tmpfs                   tmpfs     25276157952           0 25276157952       0% /dev/shm",
      "/dev/vda                ext4     270553174016 24135020544 84809273344      23% /",
      "model_tools_unavailable tmpfs            4096           0        4096       0% /mnt/tools",
      "/dev/sdb1               xfs      1099511627776 1048576 1099510579200       1% /srv/my data",
      "/dev/sdb1               xfs      1099511627776 1048576 1099510579200       1% /srv/my data",
      "nas:/export             nfs4      2199023255552 1099511627776 1099511627776  50% /mnt/nas",
      "rpool/data/subvol-101   zfs       8589934592  1073741824  7516192768      13% /var/lib/data",
      "overlay                 overlay   270553174016 24135020544 84809273344     23% /var/lib/docker/overlay2/x/merged",
      "none                    cgroup2             0           0           0       - /sys/fs/cgroup",
    ].join("\n");
    expect(filesystemsFromDf(df)).toMatchObject([
      { mount: "/", source: "/dev/vda", fsType: "ext4", sizeBytes: 270553174016n, usedBytes: 24135020544n },
      { mount: "/mnt/nas", source: "nas:/export", fsType: "nfs4" },
      {
        mount: "/srv/my data",
        source: "/dev/sdb1",
        fsType: "xfs",
        sizeBytes: 1099511627776n,
        usedBytes: 1048576n,
      },
      { mount: "/var/lib/data", source: "rpool/data/subvol-101", fsType: "zfs" },
    ]);
  });

  it("no output", () => {
    expect(filesystemsFromDf("")).toEqual([]);
  });
});
