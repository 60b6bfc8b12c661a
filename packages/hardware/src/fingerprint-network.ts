import { realpath } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { create, NetworkInterfaceSchema } from "@phoenix/proto";
import { DEFAULT_INTERVAL_MS, type Fingerprinter, type HardwareOptions } from "./fingerprinter";

// The kernel puts interfaces without a device behind them (bridges, veths, docker0, ...) under devices/virtual.
async function isVirtualInterface(root: string, name: string): Promise<boolean> {
  try {
    return (await realpath(join(root, "sys/class/net", name))).includes("/devices/virtual/");
  } catch {
    return false;
  }
}

/** Interfaces with MAC, addresses in CIDR form, link state and speed; periodic because addresses change. */
export function createNetworkFingerprinter(opts: HardwareOptions): Fingerprinter {
  const root = opts.root ?? "/";
  return {
    name: "network",
    periodic: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    async fingerprint() {
      const si = await import("systeminformation/lib/network.js");
      const ifaces = await si.networkInterfaces(true);
      // systeminformation keeps one address per family; Node lists them all, with prefix lengths.
      const addrs = networkInterfaces();
      const interfaces = await Promise.all(
        ifaces
          .filter((i) => !i.internal)
          .map(async (i) =>
            create(NetworkInterfaceSchema, {
              name: i.iface,
              mac: i.mac.toLowerCase(),
              addresses: (addrs[i.iface] ?? []).flatMap((a) => (a.cidr ? [a.cidr] : [])),
              up: i.operstate === "up",
              virtual: i.virtual || (await isVirtualInterface(root, i.iface)),
              speedMbps: i.speed && i.speed > 0 ? Math.round(i.speed) : 0,
            }),
          ),
      );
      interfaces.sort((a, b) => a.name.localeCompare(b.name));
      return { interfaces };
    },
  };
}
