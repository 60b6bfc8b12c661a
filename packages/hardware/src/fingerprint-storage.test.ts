import { describe, expect, it } from "vitest";
import { diskMedium, isStorageDisk } from "./fingerprint-storage";

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
