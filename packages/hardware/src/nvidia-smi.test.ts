import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNvidiaSmi } from "./nvidia-smi";
import { nvidiaSmiFixture, writeSimulatedNvidiaSmi } from "./simulated-nvidia-smi";

// Real processes; the GPU is the only fake (a script printing a real capture).
let dir: string;
let n = 0;
const fresh = async () => mkdtemp(join(dir, `case${n++}-`));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "phoenix-nvsmi-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("runNvidiaSmi", () => {
  it("reads a multi-GPU guest", async () => {
    const path = await writeSimulatedNvidiaSmi(await fresh(), {
      xmlFile: nvidiaSmiFixture("dual-rtx-2080-590.xml"),
    });
    const result = await runNvidiaSmi({ path });
    expect(result.state).toBe("ok");
    if (result.state !== "ok") return;
    expect(result.report.driverVersion).toBe("590.44.01");
    expect(result.report.gpus.map((g) => g.pciBusId)).toEqual(["00000000:01:00.0", "00000000:02:00.0"]);
  });

  it("names MIG devices from nvidia-smi -L", async () => {
    const d = await fresh();
    const list = join(d, "list.txt");
    await writeFile(
      list,
      "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-5135)\n  MIG 1g.20gb     Device  0: (UUID: MIG-x)\n",
    );
    const path = await writeSimulatedNvidiaSmi(d, {
      xmlFile: nvidiaSmiFixture("a100-sxm4-80gb-mig-535.xml"),
      listFile: list,
    });
    const result = await runNvidiaSmi({ path });
    expect(result.state === "ok" && result.report.gpus[0]?.migDevices.map((m) => m.profile)).toEqual([
      "1g.20gb",
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("keeps MIG devices unnamed when -L prints the XML again", async () => {
    const path = await writeSimulatedNvidiaSmi(await fresh(), {
      xmlFile: nvidiaSmiFixture("a100-sxm4-80gb-mig-535.xml"),
    });
    const result = await runNvidiaSmi({ path });
    expect(result.state === "ok" && result.report.gpus[0]?.migDevices).toHaveLength(4);
  });

  it("reports a driver that is not loaded as an error with nvidia-smi's words", async () => {
    const path = await writeSimulatedNvidiaSmi(await fresh(), {
      failureFile: nvidiaSmiFixture("errors/driver-not-loaded.txt"),
      exitCode: 9,
    });
    expect(await runNvidiaSmi({ path })).toEqual({
      state: "error",
      reason: "driver-not-loaded",
      message:
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    });
  });

  it("reports no GPUs when nvidia-smi does not exist", async () => {
    const d = await fresh();
    expect(await runNvidiaSmi({ path: join(d, "missing", "nvidia-smi"), devDir: d })).toEqual({
      state: "none",
    });
  });

  it("reports an error when /dev/nvidia0 exists but nvidia-smi does not", async () => {
    const d = await fresh();
    await writeFile(join(d, "nvidia0"), "");
    await writeFile(join(d, "nvidiactl"), "");
    const result = await runNvidiaSmi({ path: join(d, "missing", "nvidia-smi"), devDir: d });
    expect(result).toMatchObject({ state: "error", reason: "failed" });
    expect(result.state === "error" && result.message).toContain("nvidia0 is present");
  });

  it("kills nvidia-smi after the timeout", async () => {
    const d = await fresh();
    const path = join(d, "nvidia-smi");
    await writeFile(path, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const started = Date.now();
    expect(await runNvidiaSmi({ path, timeoutMs: 300 })).toMatchObject({ state: "error", reason: "timeout" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reports output that is not XML", async () => {
    const d = await fresh();
    const path = join(d, "nvidia-smi");
    await writeFile(path, "#!/bin/sh\necho hello\n", { mode: 0o755 });
    expect(await runNvidiaSmi({ path })).toMatchObject({ state: "error", reason: "unparsable" });
  });

  it("keeps the GPUs a failing run still printed", async () => {
    const path = await writeSimulatedNvidiaSmi(await fresh(), {
      xmlFile: nvidiaSmiFixture("tesla-t4-passthrough-515.xml"),
      exitCode: 15,
    });
    const result = await runNvidiaSmi({ path });
    expect(result).toMatchObject({ state: "error", reason: "failed" });
    expect(result.state === "error" && result.report?.gpus[0]?.productName).toBe("Tesla T4");
  });
});
