import type { MessageInitShape, RefreshInventoryCommand, RefreshInventoryResultSchema } from "@phoenix/proto";
import type { CommandContext } from "./context";

/** Collects the inventory now (the session also sends it as an InventoryUpdate) and returns it. */
export async function refreshInventory(
  _cmd: RefreshInventoryCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof RefreshInventoryResultSchema>> {
  return { inventory: await ctx.refreshInventory() };
}
