import { type Inventory, InventorySchema, toJson } from "@phoenix/proto";

/** The protobuf JSON form of an inventory, with every field present (zero values included) for people and tests. */
export function inventoryToJson(inventory: Inventory): ReturnType<typeof toJson> {
  return toJson(InventorySchema, inventory, { alwaysEmitImplicit: true });
}
