import { readdir, realpath } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { create, NetworkInterfaceSchema } from "@phoenix/proto";
import { byCodeUnit } from "./by-code-unit";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";
import { readText } from "./host-facts";

/** ARPHRD_LOOPBACK: /sys/class/net/<if>/type of a loopback interface. */
const ARPHRD_LOOPBACK = 772;

// speed reads EINVAL on links that are down or have no notion of speed: undefined, like a missing file.
async function attribute(dir: string, name: string): Promise<string | undefined> {
  return (await readText(join(dir, name)))?.trim();
}

// The kernel puts interfaces without a device behind them (bridges, veths, docker0, ...) under devices/virtual.
async function isVirtualInterface(dir: string): Promise<boolean> {
  try {
    return (await realpath(dir)).includes("/devices/virtual/");
  } catch {
    return false;
  }
}

/**
 * Interfaces with MAC, addresses in CIDR form, link state and speed; periodic because addresses
 * change. Everything but the addresses comes from /sys/class/net, which lists interfaces without
 * addresses too; the addresses (every one, with its prefix length) from Node's os.networkInterfaces().
 */
export function createNetworkFingerprinter(opts: HardwareOptions): Fingerprinter {
  const base = join(opts.root ?? "/", "sys/class/net");
  return {
    name: "network",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const addrs = networkInterfaces();
      const names = await readdir(base).catch(() => [] as string[]);
      const found = await Promise.all(
        names.map(async (name) => {
          const dir = join(base, name);
          const [type, mac, operstate, speed] = await Promise.all(
            ["type", "address", "operstate", "speed"].map((a) => attribute(dir, a)),
          );
          if (type === undefined || Number(type) === ARPHRD_LOOPBACK) return undefined;
          const mbps = Number(speed);
          return create(NetworkInterfaceSchema, {
            name,
            mac: (mac ?? "").toLowerCase(),
            addresses: (addrs[name] ?? []).flatMap((a) => (a.cidr ? [a.cidr] : [])),
            up: operstate === "up",
            virtual: await isVirtualInterface(dir),
            speedMbps: Number.isInteger(mbps) && mbps > 0 ? mbps : 0,
          });
        }),
      );
      const interfaces = found.filter((i) => i !== undefined);
      interfaces.sort((a, b) => byCodeUnit(a.name, b.name));
      return { interfaces };
    },
  };
}
