import { z } from "zod";
import { guestNameSchema, nodeLabelSchema, stackNameSchema, vmidSchema } from "./schema-parts";

const guestFields = {
  name: guestNameSchema,
  swarm_role: z
    .enum(["manager", "worker", "auto", "none"])
    .default("none")
    .describe("manager | worker | auto (the scheduler decides) | none (not in the swarm)"),
  swarm_availability: z
    .enum(["active", "pause", "drain"])
    .optional()
    .describe("Pin the node's availability; left to the operator when absent"),
  node_labels: z
    .array(nodeLabelSchema)
    .default([])
    .describe('Labels applied on top of the hardware labels, e.g. ["zone=rack1"]'),
  docker_stacks: z
    .array(stackNameSchema)
    .default([])
    .describe("Stacks that run pinned to this guest, in every environment their phoenix.json defines"),
};

/** One guest entry; any other Proxmox key (cores, memory_mb, network_config, ...) is kept as is. */
export const guestEntrySchema = z
  .looseObject({ vmid: vmidSchema, ...guestFields })
  .meta({ id: "guest", description: "A guest; unknown Proxmox keys are kept untouched" });

/** An LXC entry in the map form keyed by CTID, where `vmid` may be left out. */
export const lxcMapEntrySchema = z
  .looseObject({ vmid: vmidSchema.optional().describe("Must equal the CTID key when given"), ...guestFields })
  .describe("An LXC container; unknown Proxmox keys are kept untouched");

/** Schema of etc/phoenix_vm_configs.json: `{ "vms": [...] }` (other top-level keys kept) or a bare array. */
export const vmFileSchema = z
  .union([
    z.looseObject({ $schema: z.string().optional(), vms: z.array(guestEntrySchema).default([]) }),
    z.array(guestEntrySchema),
  ])
  .describe("Phoenix VM definitions (etc/phoenix_vm_configs.json)");

/** Schema of etc/phoenix_lxc_configs.json: `{ "lxc_configs": { "<ctid>": {...} } }`, an array under lxc_configs, or a bare array. */
export const lxcFileSchema = z
  .union([
    z.looseObject({
      $schema: z.string().optional(),
      lxc_configs: z
        .union([
          z.record(z.string().regex(/^[1-9][0-9]{2,8}$/), lxcMapEntrySchema),
          z.array(guestEntrySchema),
        ])
        .default({}),
    }),
    z.array(guestEntrySchema),
  ])
  .describe("Phoenix LXC definitions (etc/phoenix_lxc_configs.json)");

/** One guest entry as parsed (snake_case, unknown keys included). */
export type GuestEntry = z.output<typeof lxcMapEntrySchema>;
