import {
  createInventoryManager,
  type DockerProbe,
  type Fingerprinter,
  type InventoryPart,
  significantInventory,
} from "@phoenix/hardware";
import {
  create,
  type DockerState,
  DockerStateSchema,
  DockerStatus,
  GpuReportSchema,
  type Inventory,
  InventorySchema,
  MemorySchema,
} from "@phoenix/proto";
import { describe, expect, it } from "vitest";
import { changedParts, createInventorySource } from "./inventory-source";

/** A fingerprinter whose answer the test sets (the inventory manager's own contract, no I/O). */
function settable(name: string, part: InventoryPart): Fingerprinter & { set(p: InventoryPart): void } {
  let current = part;
  return {
    name,
    periodic: 3_600_000,
    fingerprint: async () => current,
    set(p) {
      current = p;
    },
  };
}

describe("changedParts", () => {
  const base = create(InventorySchema, {
    host: { hostname: "g1" },
    memory: { totalBytes: 8n },
    disks: [{ device: "vda" }],
    interfaces: [{ name: "eth0" }],
  });
  it.each([
    ["nothing", {}, []],
    ["gpu", { gpu: { error: "driver" } }, ["gpu"]],
    ["disks", { disks: [{ device: "vdb" }] }, ["storage"]],
    ["interfaces and host", { interfaces: [], host: { hostname: "g2" } }, ["host", "network"]],
  ])("%s", (_name, change, want) => {
    expect(changedParts(base, create(InventorySchema, { ...base, ...change } as Inventory))).toEqual(want);
  });
});

/** A probe that reports what it was last told (the session's side of the contract, no I/O). */
function recordingProbe(): DockerProbe & { remembered: DockerState[]; reads: number } {
  const probe = {
    remembered: [] as DockerState[],
    reads: 0,
    read: async () => {
      probe.reads++;
      return probe.remembered.at(-1) ?? create(DockerStateSchema, {});
    },
    remember: (s: DockerState) => void probe.remembered.push(s),
    invalidate: () => {},
  };
  return probe;
}

describe("createInventorySource", () => {
  it("reports real changes with the names of the parts, and reads Docker alone for heartbeats", async () => {
    const gpu = settable("gpu", { gpu: create(GpuReportSchema, {}) });
    const memory = settable("memory", {
      memory: create(MemorySchema, { totalBytes: 8n, availableBytes: 4n }),
    });
    const docker = settable("docker", { docker: create(DockerStateSchema, { status: DockerStatus.OK }) });
    const manager = createInventoryManager({}, [gpu, memory, docker]);
    const probe = recordingProbe();
    const source = createInventorySource(manager, probe, significantInventory);
    const seen: string[][] = [];
    source.onChange((_inv, changed) => seen.push(changed));
    try {
      expect((await source.current()).memory?.totalBytes).toBe(8n);
      memory.set({ memory: create(MemorySchema, { totalBytes: 8n, availableBytes: 1n }) }); // volatile only
      await source.refresh();
      expect(seen).toEqual([]);
      gpu.set({ gpu: create(GpuReportSchema, { error: "NVIDIA-SMI has failed" }) });
      docker.set({ docker: create(DockerStateSchema, { status: DockerStatus.UNREACHABLE }) });
      await source.refresh();
      expect(seen).toEqual([["gpu", "docker"]]);
      // The refreshed inventory's Docker part is the heartbeat's from now on: never an older one.
      expect((await source.dockerState()).status).toBe(DockerStatus.UNREACHABLE);
      expect(probe.reads).toBe(1);
    } finally {
      manager.stop();
    }
  });

  it("gives the probe the Docker part of every refresh, not the cached inventory a session starts with", async () => {
    const docker = settable("docker", { docker: create(DockerStateSchema, { nodeId: "n1" }) });
    const manager = createInventoryManager({}, [docker]);
    const probe = recordingProbe();
    const source = createInventorySource(manager, probe, significantInventory);
    try {
      await source.current();
      await source.current();
      expect(probe.remembered).toEqual([]);
      docker.set({ docker: create(DockerStateSchema, { nodeId: "n2" }) });
      await manager.refresh(); // the executor's refresh after a swarm command: through onChange
      await source.refresh(); // RefreshInventoryCommand: nothing changed, still the latest read
      expect(probe.remembered.map((d) => d.nodeId)).toEqual(["n2", "n2"]);
    } finally {
      manager.stop();
    }
  });
});
