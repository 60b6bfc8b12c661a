import { create, DiskSchema, FilesystemSchema } from "@phoenix/proto";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";

// Pseudo and memory-backed filesystems say nothing about a guest's storage.
const SKIP_FS = new Set([
  "tmpfs",
  "devtmpfs",
  "ramfs",
  "overlay",
  "squashfs",
  "efivarfs",
  "nsfs",
  "proc",
  "sysfs",
  "cgroup",
  "cgroup2",
  "fuse.lxcfs",
  "devpts",
  "mqueue",
  "tracefs",
  "debugfs",
]);

/** Block devices that are not storage: loop devices, RAM disks, zram swap, optical and floppy drives. */
export function isStorageDisk(name: string, type: string, size: number): boolean {
  return type === "disk" && size > 0 && !/^(loop|ram|zram|sr|fd)\d*/.test(name);
}

/** "nvme", "virtual", "ssd" or "hdd" for a disk, from its name, model and rotational flag. */
export function diskMedium(name: string, model: string, rotational: boolean): string {
  if (name.startsWith("nvme")) return "nvme";
  if (/^x?vd[a-z]/.test(name) || /QEMU|VBOX|VMware|Virtual/i.test(model)) return "virtual";
  return rotational ? "hdd" : "ssd";
}

/** Whole disks (size, model, rotational) and mounted filesystems with usage, through systeminformation. */
export function createStorageFingerprinter(opts: HardwareOptions): Fingerprinter {
  return {
    name: "storage",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const si = await import("systeminformation/lib/filesystem.js");
      const [blocks, sizes] = await Promise.all([si.blockDevices(), si.fsSize()]);
      const disks = blocks
        .filter((b) => isStorageDisk(b.name, b.type, b.size))
        .map((b) => {
          const rotational = b.physical === "HDD";
          const model = (b.model ?? "").trim();
          return create(DiskSchema, {
            device: b.name,
            model,
            sizeBytes: BigInt(b.size),
            rotational,
            medium: diskMedium(b.name, model, rotational),
          });
        })
        .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
      const seen = new Set<string>();
      const filesystems = sizes
        .filter((f) => f.mount.startsWith("/") && f.size > 0 && !SKIP_FS.has(f.type))
        .filter((f) => !seen.has(f.mount) && seen.add(f.mount))
        .map((f) =>
          create(FilesystemSchema, {
            mount: f.mount,
            source: f.fs,
            fsType: f.type,
            sizeBytes: BigInt(f.size),
            usedBytes: BigInt(f.used),
          }),
        )
        .sort((a, b) => (a.mount < b.mount ? -1 : a.mount > b.mount ? 1 : 0));
      return { disks, filesystems };
    },
  };
}
