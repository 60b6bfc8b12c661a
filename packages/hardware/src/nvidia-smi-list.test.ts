import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseNvidiaSmiList, withMigProfiles } from "./nvidia-smi-list";
import { parseNvidiaSmiXml } from "./nvidia-smi-xml";

describe("parseNvidiaSmiList", () => {
  it.each([
    ["a GPU without MIG", "GPU 0: Tesla T4 (UUID: GPU-d37e67a5-91dd-3774-a5cb-99096249601a)\n", 1, 0],
    [
      "an R450-style MIG UUID",
      "GPU 0: A100-SXM4-40GB (UUID: GPU-e86c)\n  MIG 3g.20gb Device 0: (UUID: MIG-GPU-e86c/1/0)\n",
      1,
      1,
    ],
    ["XML printed by a simulated nvidia-smi", "<nvidia_smi_log><gpu/></nvidia_smi_log>", 0, 0],
    ["an error", "No devices were found\n", 0, 0],
    ["a MIG line before any GPU line", "  MIG 1g.5gb      Device  0: (UUID: MIG-1)\n", 0, 0],
  ])("%s", (_what, text, gpus, migs) => {
    const list = parseNvidiaSmiList(text);
    expect(list).toHaveLength(gpus);
    expect(list.flatMap((g) => g.migDevices)).toHaveLength(migs);
  });

  it("keeps the raw MIG UUID of older drivers", () => {
    const [gpu] = parseNvidiaSmiList(
      "GPU 0: A100-SXM4-40GB (UUID: GPU-e86c)\n  MIG 3g.20gb Device 0: (UUID: MIG-GPU-e86c/1/0)\n",
    );
    expect(gpu?.migDevices[0]).toEqual({ profile: "3g.20gb", index: 0, uuid: "MIG-GPU-e86c/1/0" });
  });
});

describe("withMigProfiles", () => {
  const a100 = parseNvidiaSmiXml(
    readFileSync(new URL("../fixtures/nvidia-smi/a100-sxm4-80gb-mig-535.xml", import.meta.url), "utf8"),
  );
  // The -L output such a GPU prints; 14 SMs with 19968 MiB is the 1g.20gb profile of an A100 80GB.
  const list = parseNvidiaSmiList(
    [
      "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-7d19-9063-b049-1e69664bb298)",
      "  MIG 1g.20gb     Device  0: (UUID: MIG-a)",
      "  MIG 1g.20gb     Device  1: (UUID: MIG-b)",
      "  MIG 1g.20gb     Device  3: (UUID: MIG-d)",
    ].join("\n"),
  );

  it("names MIG devices by GPU and MIG index", () => {
    const merged = withMigProfiles(a100, list);
    expect(merged.gpus[0]?.migDevices.map((d) => [d.index, d.profile, d.uuid])).toEqual([
      [0, "1g.20gb", "MIG-a"],
      [1, "1g.20gb", "MIG-b"],
      [2, undefined, undefined],
      [3, "1g.20gb", "MIG-d"],
    ]);
  });

  it("leaves the report alone when -L lists nothing", () => {
    expect(withMigProfiles(a100, [])).toEqual(a100);
  });
});
