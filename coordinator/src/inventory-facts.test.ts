import { create, GpuState, InventorySchema, Virtualization } from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { factsFromInventory } from "./inventory-facts";

describe("factsFromInventory", () => {
  it("maps a GPU VM", () => {
    const inv = create(InventorySchema, {
      host: { hostname: "gpu-1", arch: "amd64", vmid: 1003, virtualization: Virtualization.VM },
      cpu: { cores: 8, threads: 16 },
      memory: { totalBytes: 34_359_738_368n },
      gpu: {
        state: GpuState.OK,
        driverVersion: "550.54.15",
        cudaVersion: "12.4",
        gpus: [
          {
            productName: "Tesla T4",
            memoryTotalMib: 15_360n,
            architecture: "Turing",
            computeCapability: "7.5",
            mig: { capable: false },
          },
        ],
      },
    });
    expect(factsFromInventory(inv)).toEqual({
      hostname: "gpu-1",
      cpuArch: "amd64",
      cores: 8,
      memoryBytes: 34_359_738_368,
      gpuState: "ok",
      gpus: [
        {
          product: "Tesla T4",
          memoryMiB: 15_360,
          architecture: "Turing",
          computeCapability: "7.5",
          migCapable: false,
        },
      ],
      vmid: 1003,
      kind: "vm",
      driverVersion: "550.54.15",
      cudaVersion: "12.4",
    });
  });

  it.each([
    [GpuState.NONE, "none"],
    [GpuState.UNSPECIFIED, "none"],
    [GpuState.ERROR, "error"],
  ])("GPU state %s is %s, with no GPUs", (state, want) => {
    const facts = factsFromInventory(
      create(InventorySchema, { gpu: { state, gpus: [{ productName: "stale" }] } }),
    );
    expect([facts.gpuState, facts.gpus]).toEqual([want, []]);
  });

  it("an LXC with threads only and no host facts", () => {
    const facts = factsFromInventory(
      create(InventorySchema, { host: { virtualization: Virtualization.LXC }, cpu: { threads: 4 } }),
    );
    expect([facts.kind, facts.cores, facts.hostname, facts.vmid]).toEqual(["lxc", 4, "", undefined]);
  });
});
