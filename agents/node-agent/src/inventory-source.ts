import type { DockerProbe, InventoryManager } from "@phoenix/hardware";
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
 * changed parts with each change (volatile values such as free memory do not count), and a cheap
 * Docker-only read for heartbeats. Every inventory the session sends after a refresh carries a Docker
 * part read in that refresh (Docker is one of the periodic parts): the probe takes it as its latest
 * full read, so a heartbeat never reports an older Docker state than the inventory before it.
 */
export function createInventorySource(
  manager: InventoryManager,
  docker: DockerProbe,
  significant: (inventory: Inventory) => Inventory,
): InventorySource {
  let last: Inventory | undefined;
  const remember = (inv: Inventory) => {
    last ??= significant(inv);
    return inv;
  };
  const fresh = (inv: Inventory) => {
    if (inv.docker) docker.remember(inv.docker);
    return remember(inv);
  };
  manager.onChange((inventory) => {
    if (inventory.docker) docker.remember(inventory.docker);
  });
  return {
    current: async () => remember(manager.current() ?? (await manager.start())),
    refresh: async () => fresh(await manager.refresh()),
    dockerState: (): Promise<DockerState> => docker.read(),
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
