import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GpuState, type Inventory } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectInventory } from "./collect";
import { createGpuFingerprinter } from "./fingerprint-gpu";
import { createInventoryManager } from "./inventory-manager";
import { nvidiaSmiFixture, writeSimulatedNvidiaSmi } from "./simulated-nvidia-smi";

// A GPU guest simulated by a script that prints a real capture; everything else is the real code path.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "phoenix-gpu-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("gpu fingerprinter", () => {
  it("reports the GPUs of a simulated two-GPU guest through collectInventory", async () => {
    const path = await writeSimulatedNvidiaSmi(await mkdtemp(join(dir, "dual-")), {
      xmlFile: nvidiaSmiFixture("dual-rtx-2080-590.xml"),
    });
    const inv = await collectInventory({ nvidiaSmiPath: path, fingerprinters: ["gpu"] });
    expect(inv.gpu?.state).toBe(GpuState.OK);
    expect(inv.gpu?.driverVersion).toBe("590.44.01");
    expect(inv.gpu?.cudaVersion).toBe("13.1");
    expect(inv.gpu?.gpus.map((g) => [g.index, g.productName, g.memoryTotalMib, g.pciBusId])).toEqual([
      [0, "NVIDIA GeForce RTX 2080", 8192n, "00000000:01:00.0"],
      [1, "NVIDIA GeForce RTX 2080", 8192n, "00000000:02:00.0"],
    ]);
  });

  it("reports a failing nvidia-smi as state ERROR with its message", async () => {
    const path = await writeSimulatedNvidiaSmi(await mkdtemp(join(dir, "mismatch-")), {
      failureFile: nvidiaSmiFixture("errors/version-mismatch-570.txt"),
      exitCode: 18,
    });
    const { gpu } = await createGpuFingerprinter({ nvidiaSmiPath: path }).fingerprint({});
    expect(gpu?.state).toBe(GpuState.ERROR);
    expect(gpu?.error).toBe(
      "Failed to initialize NVML: Driver/library version mismatch; NVML library version: 570.124",
    );
  });

  it("a driver that loads late: the next periodic run reports the GPU and the manager says so", async () => {
    const d = await mkdtemp(join(dir, "late-"));
    await writeSimulatedNvidiaSmi(d, { failureFile: nvidiaSmiFixture("errors/driver-not-loaded.txt") });
    const manager = createInventoryManager({
      nvidiaSmiPath: join(d, "nvidia-smi"),
      fingerprinters: ["gpu"],
      intervalMs: 100,
    });
    const changes: Inventory[] = [];
    manager.onChange((inv) => changes.push(inv));
    try {
      const first = await manager.start();
      expect(first.gpu?.state).toBe(GpuState.ERROR);
      await writeSimulatedNvidiaSmi(d, { xmlFile: nvidiaSmiFixture("tesla-t4-passthrough-515.xml") });
      const until = Date.now() + 5000;
      while (changes.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(changes).toHaveLength(1);
      expect(changes[0]?.gpu?.state).toBe(GpuState.OK);
      expect(changes[0]?.gpu?.gpus[0]?.productName).toBe("Tesla T4");
    } finally {
      manager.stop();
    }
  });
});
