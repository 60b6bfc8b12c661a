import { describe, expect, it } from "vitest";
import type { ServiceVolumeConfig, VolumeConfig } from "./compose-types";
import { convertVolumeToMount } from "./volume";

const stackVolumes: Record<string, VolumeConfig> = {
  data: { external: { external: false }, driver: "local", driverOpts: { o: "bind" }, labels: { v: "1" } },
  plain: { external: { external: false } },
  named: { external: { external: false }, name: "global-data" },
  ext: { external: { external: true }, name: "outside" },
};
const ns = "com.docker.stack.namespace";

describe("convertVolumeToMount", () => {
  it.each<[string, ServiceVolumeConfig, object]>([
    [
      "named volume with driver",
      { type: "volume", source: "data", target: "/d" },
      {
        Type: "volume",
        Source: "s_data",
        Target: "/d",
        VolumeOptions: {
          Labels: { [ns]: "s", v: "1" },
          DriverConfig: { Name: "local", Options: { o: "bind" } },
        },
      },
    ],
    [
      "plain named volume",
      { type: "volume", source: "plain", target: "/p" },
      { Type: "volume", Source: "s_plain", Target: "/p", VolumeOptions: { Labels: { [ns]: "s" } } },
    ],
    [
      "volume with name:",
      { type: "volume", source: "named", target: "/n" },
      { Type: "volume", Source: "global-data", Target: "/n", VolumeOptions: { Labels: { [ns]: "s" } } },
    ],
    [
      "external volume, nocopy",
      { type: "volume", source: "ext", target: "/e", volume: { nocopy: true } },
      { Type: "volume", Source: "outside", Target: "/e", VolumeOptions: { NoCopy: true } },
    ],
    ["anonymous volume", { type: "volume", target: "/a" }, { Type: "volume", Target: "/a" }],
    [
      "bind, read-only, propagation",
      { type: "bind", source: "/h", target: "/c", readOnly: true, bind: { propagation: "rslave" } },
      { Type: "bind", Source: "/h", Target: "/c", ReadOnly: true, BindOptions: { Propagation: "rslave" } },
    ],
    [
      "bind with consistency",
      { type: "bind", source: "/h", target: "/c", consistency: "cached" },
      { Type: "bind", Source: "/h", Target: "/c", Consistency: "cached" },
    ],
    [
      "tmpfs with size",
      { type: "tmpfs", target: "/t", tmpfs: { size: 1000 } },
      { Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1000 } },
    ],
    [
      "cluster group",
      { type: "cluster", source: "group:g", target: "/g" },
      { Type: "cluster", Source: "group:g", Target: "/g", ClusterOptions: {} },
    ],
  ])("%s", (_name, volume, mount) => {
    expect(convertVolumeToMount(volume, stackVolumes, "s")).toEqual(mount);
  });

  it.each<[ServiceVolumeConfig, string]>([
    [{ type: "volume", source: "missing", target: "/m" }, 'undefined volume "missing"'],
    [
      { type: "volume", source: "data", target: "/m", tmpfs: {} },
      "tmpfs options are incompatible with type volume",
    ],
    [{ type: "bind", target: "/m" }, "invalid bind source, source cannot be empty"],
    [
      { type: "bind", source: "/x", target: "/m", volume: {} },
      "volume options are incompatible with type bind",
    ],
    [{ type: "tmpfs", source: "/x", target: "/m" }, "invalid tmpfs source, source must be empty"],
    [{ type: "weird", target: "/m" }, "volume type must be volume, bind, tmpfs, npipe, or cluster"],
  ])("rejects %j", (volume, message) => {
    expect(() => convertVolumeToMount(volume, stackVolumes, "s")).toThrow(message);
  });
});
