import { describe, expect, it } from "vitest";
import { hardwareLabels, labelValue, normalizeArch } from "./hardware-labels";
import { cpuFacts, gpuFacts } from "./test-fleet";

describe("hardwareLabels", () => {
  it("describes a CPU-only VM", () => {
    expect(hardwareLabels(cpuFacts("drphoenix"), { kind: "vm", vmid: 1002 })).toEqual({
      "phoenix.cpu.arch": "amd64",
      "phoenix.cpu.cores": "4",
      "phoenix.memory.gib": "16",
      "phoenix.guest.kind": "vm",
      "phoenix.guest.vmid": "1002",
    });
  });

  it("describes a GPU LXC with the names GPU Feature Discovery uses", () => {
    expect(hardwareLabels(gpuFacts("vllmqwen"), { kind: "lxc", vmid: 950 })).toEqual({
      "phoenix.cpu.arch": "amd64",
      "phoenix.cpu.cores": "8",
      "phoenix.memory.gib": "40",
      "phoenix.guest.kind": "lxc",
      "phoenix.guest.vmid": "950",
      "phoenix.gpu.present": "true",
      "phoenix.gpu.count": "1",
      "phoenix.gpu.product": "NVIDIA-GeForce-RTX-4090",
      "phoenix.gpu.memory": "24564",
      "phoenix.gpu.family": "ada-lovelace",
      "phoenix.gpu.compute.major": "8",
      "phoenix.gpu.compute.minor": "9",
      "phoenix.cuda.driver-version.full": "550.54.15",
      "phoenix.cuda.runtime-version.full": "12.4",
      "phoenix.mig.capable": "false",
    });
  });

  it("counts GPUs, takes the first for product and memory, and says MIG if any GPU can", () => {
    const facts = gpuFacts("a100", {
      gpus: [
        {
          product: "NVIDIA A100-SXM4-40GB",
          memoryMiB: 40960,
          architecture: "Ampere",
          computeCapability: "8.0",
          migCapable: true,
        },
        {
          product: "NVIDIA A100-SXM4-40GB",
          memoryMiB: 40960,
          architecture: "Ampere",
          computeCapability: "8.0",
          migCapable: true,
        },
      ],
    });
    expect(hardwareLabels(facts)).toMatchObject({
      "phoenix.gpu.count": "2",
      "phoenix.gpu.product": "NVIDIA-A100-SXM4-40GB",
      "phoenix.gpu.memory": "40960",
      "phoenix.gpu.family": "ampere",
      "phoenix.gpu.compute.major": "8",
      "phoenix.gpu.compute.minor": "0",
      "phoenix.mig.capable": "true",
    });
  });

  it.each([
    ["3.7", "kepler"],
    ["5.2", "maxwell"],
    ["6.1", "pascal"],
    ["7.0", "volta"],
    ["7.5", "turing"],
    ["8.6", "ampere"],
    ["8.9", "ada-lovelace"],
    ["9.0", "hopper"],
    ["12.0", "blackwell"],
  ])("derives family from compute capability %s when the driver names no architecture", (cc, family) => {
    const facts = gpuFacts("g", { gpus: [{ product: "GPU", computeCapability: cc }] });
    expect(hardwareLabels(facts)["phoenix.gpu.family"]).toBe(family);
  });

  it("leaves out what the driver does not report", () => {
    const facts = gpuFacts("g", {
      gpus: [{ product: "Tesla T4" }],
      driverVersion: undefined,
      cudaVersion: undefined,
    });
    const labels = hardwareLabels(facts);
    expect(
      Object.keys(labels).filter((k) => k.startsWith("phoenix.gpu") || k.startsWith("phoenix.cuda")),
    ).toEqual(["phoenix.gpu.present", "phoenix.gpu.count", "phoenix.gpu.product"]);
  });

  it.each(["none", "error"] as const)("sets no GPU label when the GPU state is %s", (gpuState) => {
    const labels = hardwareLabels(gpuFacts("g", { gpuState }));
    expect(
      Object.keys(labels).some((k) => k.includes("gpu") || k.includes("cuda") || k.includes("mig")),
    ).toBe(false);
  });

  it("takes kind and vmid from the agent for guests the model does not list", () => {
    expect(hardwareLabels(cpuFacts("x", { kind: "lxc", vmid: 4242 }))).toMatchObject({
      "phoenix.guest.kind": "lxc",
      "phoenix.guest.vmid": "4242",
    });
  });
});

describe("label value helpers", () => {
  it.each([
    ["x64", "amd64"],
    ["x86_64", "amd64"],
    ["aarch64", "arm64"],
    ["arm64", "arm64"],
    ["armv7l", "arm"],
    ["s390x", "s390x"],
    ["mips", "mips"],
    ["", "unknown"],
  ])("arch %j is %j", (arch, normal) => {
    expect(normalizeArch(arch)).toBe(normal);
  });

  it.each([
    ["NVIDIA GeForce RTX 4090", "NVIDIA-GeForce-RTX-4090"],
    ["  Quadro RTX 6000 (TM) ", "Quadro-RTX-6000-TM"],
    ["Tesla V100-SXM2-16GB", "Tesla-V100-SXM2-16GB"],
  ])("value %j becomes %j", (text, value) => {
    expect(labelValue(text)).toBe(value);
  });
});
