import { create, type Disk, DiskSchema, type Filesystem, FilesystemSchema } from "@phoenix/proto";
import { byCodeUnit } from "./by-code-unit";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";
import { runCommand } from "./run-command";

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

/** One line of `lsblk -J -b` (util-linux before 2.33 prints every value as a string). */
interface LsblkDevice {
  name: string;
  type: string;
  size: number | string | null;
  rota: boolean | string | null;
  model: string | null;
  children?: LsblkDevice[];
}

/** Whole storage disks from `lsblk -J -b -o NAME,TYPE,SIZE,ROTA,MODEL` output, sorted by name. */
export function disksFromLsblk(json: string): Disk[] {
  const all: LsblkDevice[] = [];
  const walk = (devices: LsblkDevice[] = []) => {
    for (const d of devices) {
      all.push(d);
      walk(d.children);
    }
  };
  walk((JSON.parse(json) as { blockdevices?: LsblkDevice[] }).blockdevices);
  const seen = new Set<string>();
  return all
    .filter(
      (d) => isStorageDisk(d.name, d.type, Number(d.size ?? 0)) && !seen.has(d.name) && seen.add(d.name),
    )
    .map((d) => {
      const rotational = d.rota === true || d.rota === "1";
      const model = (d.model ?? "").trim();
      return create(DiskSchema, {
        device: d.name,
        model,
        sizeBytes: BigInt(Number(d.size)),
        rotational,
        medium: diskMedium(d.name, model, rotational),
      });
    })
    .sort((a, b) => byCodeUnit(a.device, b.device));
}

// Filesystem types whose entries are memory or image mounts unless their source is a device or remote path.
const TMP_LIKE =
  /rootfs|unionfs|squashfs|cramfs|initrd|initramfs|devtmpfs|tmpfs|udev|devfs|specfs|type|appimaged/i;
const DF_LINE = /^(.+?)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+%|-)\s+(.+)$/;

/** Mounted storage filesystems from `df -B1 -PT` output (header first), one per mount point, sorted by mount. */
export function filesystemsFromDf(text: string): Filesystem[] {
  const seen = new Set<string>();
  const filesystems: Filesystem[] = [];
  for (const line of text.split("\n").slice(1)) {
    const m = line.trim().match(DF_LINE);
    if (!m) continue;
    const [, source = "", fsType = "", size = "", used = "", , mount = ""] = m;
    const device = source.startsWith("/") || source.indexOf("/") > 0 || source.indexOf(":") === 1;
    if (!device && mount !== "/" && TMP_LIKE.test(fsType)) continue;
    if (!mount.startsWith("/") || Number(size) <= 0 || SKIP_FS.has(fsType) || seen.has(mount)) continue;
    seen.add(mount);
    filesystems.push(
      create(FilesystemSchema, {
        mount,
        source,
        fsType,
        sizeBytes: BigInt(size),
        usedBytes: BigInt(used),
      }),
    );
  }
  return filesystems.sort((a, b) => byCodeUnit(a.mount, b.mount));
}

const TOOL_TIMEOUT_MS = 10_000;

/**
 * Whole disks (size, model, rotational) from lsblk and mounted filesystems with usage from df (which leaves out
 * bind mounts and over-mounted entries of the same filesystem). A tool that is missing or fails yields none.
 */
export function createStorageFingerprinter(opts: HardwareOptions): Fingerprinter {
  return {
    name: "storage",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const limit = { timeoutMs: TOOL_TIMEOUT_MS };
      const [lsblk, df] = await Promise.all([
        runCommand("lsblk", ["-J", "-b", "-o", "NAME,TYPE,SIZE,ROTA,MODEL"], limit),
        runCommand("df", ["-B1", "-PT", "-x", "squashfs"], limit).then((r) =>
          // A df without -x (busybox) prints nothing but its usage.
          r.stdout.trim() ? r : runCommand("df", ["-B1", "-PT"], limit),
        ),
      ]);
      return {
        disks: lsblk.exitCode === 0 ? tryDisksFromLsblk(lsblk.stdout) : [],
        filesystems: filesystemsFromDf(df.stdout),
      };
    },
  };
}

function tryDisksFromLsblk(json: string): Disk[] {
  try {
    return disksFromLsblk(json);
  } catch {
    return [];
  }
}
