import { describe, expect, it } from "vitest";
import { desiredLabels } from "./desired-labels";
import { fleetGuests } from "./fleet";
import { labelChanges, OWNED_LABELS_KEY } from "./label-ownership";
import { buildModel, cpuFacts, GPU_LABELS_OF_GPU_FACTS, gpuFacts } from "./test-fleet";

const spec = {
  guests: [
    { vmid: 1001, name: "mgr", role: "manager" as const, labels: ["zone=rack1"], stacks: ["traefik"] },
    { vmid: 950, name: "gpu1", kind: "lxc" as const, labels: ["zone=rack2"], stacks: ["app"] },
    { vmid: 951, name: "gpu2", kind: "lxc" as const, labels: ["gpu=false"] },
  ],
  stacks: { traefik: ["production"], app: ["dev1"] },
};
const model = buildModel(spec);
const [mgr, gpu1, gpu2] = fleetGuests(model);

describe("desiredLabels", () => {
  it("layers hardware labels, gpu=true, stack pins and the model's labels, and records ownership", () => {
    expect(desiredLabels(gpu1!, gpuFacts("gpu1"), model)).toEqual({
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
      gpu: "true",
      "phoenix.stack.app": "true",
      zone: "rack2",
      [OWNED_LABELS_KEY]: "gpu,zone",
    });
  });

  it("gives CPU guests no gpu label", () => {
    expect(desiredLabels(mgr!, cpuFacts("mgr"), model)).toEqual({
      "phoenix.cpu.arch": "amd64",
      "phoenix.cpu.cores": "4",
      "phoenix.memory.gib": "16",
      "phoenix.guest.kind": "vm",
      "phoenix.guest.vmid": "1001",
      "phoenix.stack.traefik": "true",
      zone: "rack1",
      [OWNED_LABELS_KEY]: "zone",
    });
  });

  it("lets the model's node_labels win over gpu=true", () => {
    expect(desiredLabels(gpu2!, gpuFacts("gpu2"), model)?.gpu).toBe("false");
  });

  it.each<[{ hardware?: boolean; gpu?: boolean }, string[]]>([
    [{ hardware: false }, ["gpu", "phoenix.stack.app", "zone", OWNED_LABELS_KEY]],
    [{ gpu: false }, ["phoenix.gpu.present", "phoenix.stack.app", "zone", OWNED_LABELS_KEY]],
    [{ hardware: false, gpu: false }, ["phoenix.stack.app", "zone", OWNED_LABELS_KEY]],
  ])("follows the cluster's label options %j", (labels, keys) => {
    const m = buildModel({ ...spec, labels });
    const got = Object.keys(desiredLabels(fleetGuests(m)[1]!, gpuFacts("gpu1"), m) ?? {});
    for (const k of keys) expect(got).toContain(k);
    if (labels.hardware === false)
      expect(
        got.filter(
          (k) => k.startsWith("phoenix.") && k !== OWNED_LABELS_KEY && !k.startsWith("phoenix.stack."),
        ),
      ).toEqual([]);
    if (labels.gpu === false) expect(got).not.toContain("gpu");
  });

  it("keeps the GPU labels a node has while nvidia-smi fails", () => {
    const before = desiredLabels(gpu1!, gpuFacts("gpu1"), model)!;
    const during = desiredLabels(gpu1!, gpuFacts("gpu1", { gpuState: "error", gpus: [] }), model, before);
    expect(labelChanges(during!, before)).toBeUndefined();
  });

  it("takes the GPU labels away when the GPU is gone", () => {
    const before = desiredLabels(gpu1!, gpuFacts("gpu1"), model)!;
    const after = desiredLabels(
      gpu1!,
      cpuFacts("gpu1", { cores: 8, memoryBytes: 40 * 2 ** 30 }),
      model,
      before,
    )!;
    expect(labelChanges(after, before)).toEqual({
      set: { [OWNED_LABELS_KEY]: "zone" },
      remove: GPU_LABELS_OF_GPU_FACTS,
    });
  });

  it("does not claim an operator's gpu label while nvidia-smi fails", () => {
    const observed = { gpu: "true", "phoenix.gpu.present": "true" };
    const labels = desiredLabels(gpu1!, gpuFacts("gpu1", { gpuState: "error", gpus: [] }), model, observed)!;
    expect(labels.gpu).toBeUndefined();
    expect(labelChanges(labels, observed)?.remove ?? []).not.toContain("gpu");
  });

  it("wants nothing while the guest's hardware is unknown", () => {
    expect(desiredLabels(gpu1!, undefined, model)).toBeUndefined();
  });
});
