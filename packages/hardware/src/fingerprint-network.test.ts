import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNetworkFingerprinter } from "./fingerprint-network";

/** A /sys tree: class/net/<if> links to a device directory, real or virtual, as the kernel lays it out. */
function sysTree(links: Record<string, { dev: string; attrs: Record<string, string> }>): string {
  const root = mkdtempSync(join(tmpdir(), "phoenix-sysnet-"));
  mkdirSync(join(root, "sys/class/net"), { recursive: true });
  for (const [name, { dev, attrs }] of Object.entries(links)) {
    const dir = join(root, "sys", dev, "net", name);
    mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(attrs)) writeFileSync(join(dir, k), `${v}\n`);
    symlinkSync(dir, join(root, "sys/class/net", name));
  }
  return root;
}

describe("network fingerprinter over /sys/class/net", () => {
  const root = sysTree({
    lo: {
      dev: "devices/virtual",
      attrs: { type: "772", address: "00:00:00:00:00:00", operstate: "unknown" },
    },
    ens18: {
      dev: "devices/pci0000:00/0000:00:12.0/virtio1",
      attrs: { type: "1", address: "BC:24:11:AA:BB:CC", operstate: "up", speed: "10000" },
    },
    // speed is missing here: the kernel answers EINVAL for a link that is down
    ens19: {
      dev: "devices/pci0000:00/0000:00:13.0/virtio2",
      attrs: { type: "1", address: "bc:24:11:00:00:01", operstate: "down" },
    },
    docker0: {
      dev: "devices/virtual",
      attrs: { type: "1", address: "02:42:ac:11:00:01", operstate: "up", speed: "-1" },
    },
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ["ens18", { mac: "bc:24:11:aa:bb:cc", up: true, virtual: false, speedMbps: 10000 }],
    ["ens19", { mac: "bc:24:11:00:00:01", up: false, virtual: false, speedMbps: 0 }],
    ["docker0", { mac: "02:42:ac:11:00:01", up: true, virtual: true, speedMbps: 0 }],
  ])("%s", async (name, want) => {
    const { interfaces } = (await createNetworkFingerprinter({ root }).fingerprint({})) as {
      interfaces: { name: string }[];
    };
    expect(interfaces.find((i) => i.name === name)).toMatchObject({ name, ...want });
  });

  it("leaves out loopback and sorts by name", async () => {
    const { interfaces } = (await createNetworkFingerprinter({ root }).fingerprint({})) as {
      interfaces: { name: string }[];
    };
    expect(interfaces.map((i) => i.name)).toEqual(["docker0", "ens18", "ens19"]);
  });
});
