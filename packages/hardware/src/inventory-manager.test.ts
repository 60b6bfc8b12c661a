import {
  CpuSchema,
  create,
  DockerStateSchema,
  equals,
  FilesystemSchema,
  type Inventory,
  InventorySchema,
  MemorySchema,
  type MessageInitShape,
} from "@phoenix/proto";
import { afterEach, describe, expect, it } from "vitest";
import type { Fingerprinter, InventoryPart } from "./fingerprinter";
import { createInventoryManager, type InventoryManager, significantInventory } from "./inventory-manager";

// Fingerprinters that count their runs and return what the test sets; the manager's own logic is under test.
function fake(name: string, periodic: false | number, next: () => InventoryPart | Promise<InventoryPart>) {
  const fp = {
    name,
    periodic,
    runs: 0,
    async fingerprint() {
      fp.runs++;
      return next();
    },
  };
  return fp satisfies Fingerprinter;
}

const mem = (total: number, available: number): InventoryPart => ({
  memory: create(MemorySchema, { totalBytes: BigInt(total), availableBytes: BigInt(available) }),
});
const cpu: InventoryPart = { cpu: create(CpuSchema, { model: "AMD EPYC", threads: 2 }) };
type Init = MessageInitShape<typeof InventorySchema>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let manager: InventoryManager | undefined;
afterEach(() => manager?.stop());

describe("createInventoryManager", () => {
  it("runs static fingerprinters once and periodic ones on their interval", async () => {
    const c = fake("cpu", false, () => cpu);
    let available = 100;
    const m = fake("memory", 20, () => mem(1000, available++));
    manager = createInventoryManager({}, [c, m]);
    const first = await manager.start();
    expect(first.cpu?.model).toBe("AMD EPYC");
    expect(first.memory?.availableBytes).toBe(100n);
    expect(first.collectedAt).toBeDefined();
    await sleep(130);
    expect(c.runs).toBe(1);
    expect(m.runs).toBeGreaterThanOrEqual(3);
    expect(manager.current()?.memory?.availableBytes).toBeGreaterThan(100n);
  });

  it("reports a change only when the inventory really changed", async () => {
    let total = 1000;
    let available = 100;
    const m = fake("memory", 15, () => mem(total, available++));
    manager = createInventoryManager({}, [m]);
    const changes: Inventory[] = [];
    manager.onChange((inv) => changes.push(inv));
    await manager.start();
    await sleep(80);
    expect(m.runs).toBeGreaterThanOrEqual(3);
    expect(changes).toHaveLength(0);
    total = 2000;
    await sleep(60);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.memory?.totalBytes).toBe(2000n);
  });

  it("refreshes on demand and tells listeners", async () => {
    let total = 1000;
    const m = fake("memory", 60_000, () => mem(total, 1));
    manager = createInventoryManager({}, [m]);
    const changes: Inventory[] = [];
    manager.onChange((inv) => changes.push(inv));
    await manager.start();
    total = 4000;
    const fresh = await manager.refresh();
    expect(fresh.memory?.totalBytes).toBe(4000n);
    expect(changes.map((c) => c.memory?.totalBytes)).toEqual([4000n]);
    expect(m.runs).toBe(2);
  });

  it("does not run a fingerprinter twice at the same time", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = fake("gpu", 60_000, async () => {
      await gate;
      return {};
    });
    manager = createInventoryManager({}, [slow]);
    const started = manager.start();
    const refreshes = [manager.refresh(), manager.refresh()];
    release();
    await Promise.all([started, ...refreshes]);
    // one run for start, one shared by both refreshes
    expect(slow.runs).toBe(2);
  });

  it("keeps going when a fingerprinter fails, and tries a failed static one again", async () => {
    let fail = true;
    const c = fake("cpu", false, () => {
      if (fail) throw new Error("no /proc");
      return cpu;
    });
    const m = fake("memory", 60_000, () => mem(1, 1));
    const warnings: string[] = [];
    manager = createInventoryManager({ logger: { warn: (o) => warnings.push(JSON.stringify(o)) } }, [c, m]);
    const first = await manager.start();
    expect(first.cpu).toBeUndefined();
    expect(first.memory?.totalBytes).toBe(1n);
    expect(warnings.join()).toContain("no /proc");
    fail = false;
    const second = await manager.refresh();
    expect(second.cpu?.model).toBe("AMD EPYC");
  });

  it("stops its loop", async () => {
    const m = fake("memory", 10, () => mem(1, 1));
    manager = createInventoryManager({}, [m]);
    await manager.start();
    manager.stop();
    const runs = m.runs;
    await sleep(60);
    expect(m.runs).toBeLessThanOrEqual(runs + 1);
  });

  it.each<[string, Init, Init]>([
    [
      "available memory",
      { memory: create(MemorySchema, { totalBytes: 5n, availableBytes: 1n }) },
      { memory: create(MemorySchema, { totalBytes: 5n, availableBytes: 2n }) },
    ],
    [
      "running containers",
      { docker: create(DockerStateSchema, { nodeId: "n1", containersRunning: 3 }) },
      { docker: create(DockerStateSchema, { nodeId: "n1", containersRunning: 9 }) },
    ],
    [
      "filesystem usage",
      { filesystems: [create(FilesystemSchema, { mount: "/", sizeBytes: 9n, usedBytes: 1n })] },
      { filesystems: [create(FilesystemSchema, { mount: "/", sizeBytes: 9n, usedBytes: 7n })] },
    ],
  ])("ignores volatile values when comparing: %s", (_name, a, b) => {
    const ia = create(InventorySchema, a);
    const sa = significantInventory(ia);
    const sb = significantInventory(create(InventorySchema, b));
    expect(equals(InventorySchema, sa, sb)).toBe(true);
    expect(equals(InventorySchema, ia, create(InventorySchema, a))).toBe(true); // the input is left alone
  });

  it("keeps what matters for scheduling", () => {
    const a = significantInventory(
      create(InventorySchema, { memory: { totalBytes: 5n }, docker: { nodeId: "n1" } }),
    );
    const b = significantInventory(
      create(InventorySchema, { memory: { totalBytes: 6n }, docker: { nodeId: "n1" } }),
    );
    const c = significantInventory(
      create(InventorySchema, { memory: { totalBytes: 5n }, docker: { nodeId: "n2" } }),
    );
    expect(equals(InventorySchema, a, b)).toBe(false);
    expect(equals(InventorySchema, a, c)).toBe(false);
  });
});
