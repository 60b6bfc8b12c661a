import type { Inventory } from "@phoenix/proto";
import type { InventoryConfig } from "./config";
import { createLogger } from "./logger";

/** A few lines a person reads: who the guest is, its hardware, GPUs and Docker. */
export function summarizeInventory(inv: Inventory): string {
  const gib = (b: bigint | undefined) => (b === undefined ? "?" : (Number(b) / 2 ** 30).toFixed(1));
  const h = inv.host;
  const lines = [
    `host      ${h?.hostname ?? "?"} (${h?.osDistro ?? "?"} ${h?.osRelease ?? ""}, kernel ${h?.kernel ?? "?"}, ${h?.arch ?? "?"})`,
    `vmid      ${h?.vmid ?? "unknown"}`,
    `cpu       ${inv.cpu?.model ?? "?"}: ${inv.cpu?.cores ?? "?"} cores, ${inv.cpu?.threads ?? "?"} threads`,
    `memory    ${gib(inv.memory?.totalBytes)} GiB (${gib(inv.memory?.availableBytes)} GiB available)`,
    `gpus      ${inv.gpu?.gpus.map((g) => g.productName).join(", ") || (inv.gpu?.error ? `error: ${inv.gpu.error}` : "none")}`,
    `docker    ${inv.docker?.error || `${inv.docker?.engineVersion ?? "?"}, swarm ${inv.docker?.swarmState ?? "?"}${inv.docker?.manager ? " (manager)" : ""}`}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** `phoenix-agent inventory`: collects once and prints protobuf JSON (--json) or a summary. */
export async function printInventory(cfg: InventoryConfig, json: boolean): Promise<void> {
  const hw = await import("@phoenix/hardware");
  const log = createLogger(cfg.logLevel === "info" ? "warn" : cfg.logLevel);
  const inv = await hw.collectInventory({
    nvidiaSmiPath: cfg.nvidiaSmi,
    dockerSocket: cfg.dockerSocket,
    vmid: cfg.vmid,
    logger: log,
  });
  const text = json ? `${JSON.stringify(hw.inventoryToJson(inv), null, 2)}\n` : summarizeInventory(inv);
  // Exit once written: idle keep-alive sockets of the Docker client must not hold the process.
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  process.exit(0);
}
