import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerStatus, GpuState, type Inventory, Virtualization } from "@phoenix/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { collectInventory } from "./collect";
import { inventoryToJson } from "./inventory-json";

// The inventory of the machine the test runs on, compared with what the machine's own tools say. No mocks.
const sh = (cmd: string, args: string[] = []) => execFileSync(cmd, args, { encoding: "utf8" }).trim();
const has = (cmd: string) => {
  try {
    sh("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
};
const meminfoKb = (key: string) =>
  Number(readFileSync("/proc/meminfo", "utf8").match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);

let inv: Inventory;
beforeAll(async () => {
  inv = await collectInventory({ dockerSocket: join(tmpdir(), "phoenix-no-docker", "docker.sock") });
}, 60_000);

describe("collectInventory on this machine", () => {
  it("host: hostname, machine id, kernel, architecture, OS", () => {
    const osRelease = sh("sh", ["-c", '. /etc/os-release && echo "$ID $VERSION_ID"']);
    const unameArch = sh("uname", ["-m"]);
    expect(inv.host?.hostname).toBe(sh("hostname"));
    expect(inv.host?.machineId).toBe(readFileSync("/etc/machine-id", "utf8").trim());
    expect(inv.host?.kernel).toBe(sh("uname", ["-r"]));
    expect(inv.host?.arch).toBe({ x86_64: "amd64", aarch64: "arm64" }[unameArch] ?? unameArch);
    expect(`${inv.host?.osDistro} ${inv.host?.osRelease}`.trim()).toBe(osRelease.trim());
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    expect(Math.abs(Number(inv.host?.uptimeSeconds) - uptime)).toBeLessThan(120);
  });

  it.runIf(has("systemd-detect-virt"))("host: virtualization agrees with systemd-detect-virt", () => {
    let said = "";
    try {
      said = sh("systemd-detect-virt");
    } catch (err) {
      said = String((err as { stdout?: string }).stdout ?? "").trim();
    }
    const containers = sh("systemd-detect-virt", ["--list"]).split("\n");
    const expected =
      said === "none"
        ? Virtualization.BARE_METAL
        : said === "lxc"
          ? Virtualization.LXC
          : said === "docker" || said === "podman" || said === "systemd-nspawn" || said === "wsl"
            ? Virtualization.CONTAINER
            : Virtualization.VM;
    expect(containers).toContain(said === "none" ? "none" : said);
    expect(inv.host?.virtualization).toBe(expected);
    if (expected !== Virtualization.BARE_METAL && expected !== Virtualization.VM) {
      expect(inv.host?.hypervisor).toBe(said);
    }
  });

  it("cpu: threads as the kernel counts them, a model and scheduling flags from /proc/cpuinfo", () => {
    const all = Number(sh("nproc", ["--all"]));
    expect(inv.cpu?.threads).toBe(all);
    expect(inv.cpu?.threads).toBeGreaterThanOrEqual(Number(sh("nproc")));
    expect(inv.cpu?.cores).toBeGreaterThan(0);
    expect(inv.cpu?.cores).toBeLessThanOrEqual(all);
    expect(inv.cpu?.model).not.toBe("");
    const flags =
      readFileSync("/proc/cpuinfo", "utf8")
        .match(/^(?:flags|Features)\s*:(.*)$/m)?.[1]
        ?.split(/\s+/) ?? [];
    for (const f of inv.cpu?.flags ?? []) expect(flags).toContain(f);
    if (flags.includes("avx2")) expect(inv.cpu?.flags).toContain("avx2");
    if (/^cpu MHz/m.test(readFileSync("/proc/cpuinfo", "utf8"))) expect(inv.cpu?.mhz).toBeGreaterThan(0);
  });

  it("memory: total equals MemTotal, available close to MemAvailable", () => {
    expect(inv.memory?.totalBytes).toBe(BigInt(meminfoKb("MemTotal") * 1024));
    const available = meminfoKb("MemAvailable") * 1024;
    expect(Math.abs(Number(inv.memory?.availableBytes) - available)).toBeLessThan(
      Math.max(512 * 2 ** 20, available * 0.2),
    );
    expect(inv.memory?.swapTotalBytes).toBe(BigInt(meminfoKb("SwapTotal") * 1024));
  });

  it("disks: every whole disk lsblk lists, with its size and rotational flag", () => {
    const lsblk = JSON.parse(sh("lsblk", ["-J", "-b", "-d", "-o", "NAME,TYPE,SIZE,ROTA"])) as {
      blockdevices: Array<{ name: string; type: string; size: number | string; rota: boolean | string }>;
    };
    const disks = lsblk.blockdevices.filter(
      (d) => d.type === "disk" && Number(d.size) > 0 && !/^(loop|ram|zram)/.test(d.name),
    );
    expect(disks.length).toBeGreaterThan(0);
    expect(inv.disks.map((d) => d.device).sort()).toEqual(disks.map((d) => d.name).sort());
    for (const d of disks) {
      const got = inv.disks.find((x) => x.device === d.name);
      expect(got?.sizeBytes).toBe(BigInt(d.size));
      expect(got?.rotational).toBe(d.rota === true || d.rota === "1");
    }
  });

  it("filesystems: the root filesystem with the size df reports", () => {
    const [size] = sh("df", ["-B1", "--output=size", "/"]).split("\n").slice(1);
    const root = inv.filesystems.find((f) => f.mount === "/");
    expect(root).toBeDefined();
    expect(root?.sizeBytes).toBe(BigInt(size!.trim()));
    expect(root!.usedBytes).toBeGreaterThan(0n);
  });

  it("network: the default-route interface with its MAC and every address ip shows", () => {
    const route = JSON.parse(sh("ip", ["-j", "route", "show", "default"])) as Array<{ dev: string }>;
    const links = JSON.parse(sh("ip", ["-j", "addr"])) as Array<{
      ifname: string;
      address: string;
      addr_info: Array<{ local: string; prefixlen: number }>;
    }>;
    const dev = route[0]?.dev;
    expect(dev).toBeDefined();
    const link = links.find((l) => l.ifname === dev)!;
    const got = inv.interfaces.find((i) => i.name === dev);
    expect(got?.mac).toBe(link.address.toLowerCase());
    expect(got?.up).toBe(true);
    expect([...(got?.addresses ?? [])].sort()).toEqual(
      link.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort(),
    );
    // Other interfaces may come and go while the test runs (other sandboxes); those in both must agree.
    for (const i of inv.interfaces) {
      const l = links.find((x) => x.ifname === i.name);
      if (l) expect(i.mac).toBe(l.address.toLowerCase());
    }
    expect(inv.interfaces.some((i) => i.name === "lo")).toBe(false);
  });

  it("gpu: what nvidia-smi says, or none without it", () => {
    if (!has("nvidia-smi")) {
      expect(inv.gpu?.state).toBe(GpuState.NONE);
      return;
    }
    const listed = sh("nvidia-smi", ["-L"])
      .split("\n")
      .filter((l) => l.startsWith("GPU ")).length;
    expect(inv.gpu?.state).toBe(GpuState.OK);
    expect(inv.gpu?.gpus).toHaveLength(listed);
  });

  it("docker: an absent engine is reported, not thrown", () => {
    expect(inv.docker?.status).toBe(DockerStatus.UNREACHABLE);
    expect(inv.docker?.error).toContain("phoenix-no-docker");
  });

  it("prints as protobuf JSON", () => {
    const json = inventoryToJson(inv) as Record<string, Record<string, unknown>>;
    expect(json.host?.hostname).toBe(sh("hostname"));
    expect(json.docker?.status).toBe("DOCKER_STATUS_UNREACHABLE");
    expect(typeof json.memory?.totalBytes).toBe("string");
  });
});
