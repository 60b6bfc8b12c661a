import type { Fingerprinter, InventoryManager } from "@phoenix/hardware";
import { create, type DockerState, type Inventory, InventorySchema, toBinary } from "@phoenix/proto";
import type { InventorySource } from "./session";

/** Which fingerprinter owns each inventory field; the names go into InventoryUpdate.changed. */
const OWNERS = [
  ["host", "host"],
  ["cpu", "cpu"],
  ["memory", "memory"],
  ["disks", "storage"],
  ["filesystems", "storage"],
  ["interfaces", "network"],
  ["gpu", "gpu"],
  ["docker", "docker"],
] as const;

function fieldBytes(inv: Inventory, field: (typeof OWNERS)[number][0]): string {
  return Buffer.from(toBinary(InventorySchema, create(InventorySchema, { [field]: inv[field] }))).toString(
    "base64",
  );
}

/** Names of the parts (fingerprinters) whose fields differ between two inventories. */
export function changedParts(before: Inventory, after: Inventory): string[] {
  const changed = new Set<string>();
  for (const [field, part] of OWNERS) {
    if (fieldBytes(before, field) !== fieldBytes(after, field)) changed.add(part);
  }
  return [...changed];
}

/**
 * Adapts the hardware package's inventory manager to what the session needs: the names of the
 * changed parts with each change (volatile values such as free memory do not count), and a quick
 * Docker-only read for heartbeats.
 */
export function createInventorySource(
  manager: InventoryManager,
  docker: Fingerprinter,
  significant: (inventory: Inventory) => Inventory,
): InventorySource {
  let last: Inventory | undefined;
  const remember = (inv: Inventory) => {
    last ??= significant(inv);
    return inv;
  };
  return {
    current: async () => remember(manager.current() ?? (await manager.start())),
    refresh: async () => remember(await manager.refresh()),
    async dockerState(): Promise<DockerState> {
      const part = await docker.fingerprint({});
      return part.docker!;
    },
    onChange(listener) {
      return manager.onChange((inventory) => {
        const next = significant(inventory);
        const changed = last ? changedParts(last, next) : [];
        last = next;
        listener(inventory, changed);
      });
    },
  };
}
