import { z } from "zod";
import { clusterNameSchema, environmentNameSchema, natsPrefixSchema } from "./schema-parts";
import { parseSubnet } from "./subnet";

const managersSchema = z
  .union([z.literal("auto"), z.int().min(0)], { error: 'expected "auto" or a whole number' })
  .default("auto")
  .describe('Number of Swarm managers (odd), or "auto": 1 below 3 eligible guests, 3 up to 6, 5 from 7');

const adoptSchema = z
  .enum(["none", "worker", "auto"])
  .default("none")
  .describe(
    "Guests whose agent registers but which the model does not list: none = leave alone, worker = join as worker, auto = join and let the scheduler pick the role",
  );

const subnetSchema = z
  .string()
  .superRefine((text, ctx) => {
    const parsed = parseSubnet(text);
    if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
  })
  .describe("IPv4 subnet, e.g. 10.42.0.0/20 (/8 to /28)");

const environmentNetworksSchema = z
  .record(
    environmentNameSchema,
    z.strictObject({
      subnet: subnetSchema.describe(
        "Subnet of the environment's overlay network, given when Phoenix creates it (Docker cannot change it later). Without it Swarm gives a /24 from its address pool: 253 addresses for every task of every stack of the environment, one per guest running them and one per VIP service",
      ),
    }),
  )
  .default({})
  .describe("Settings of environments' overlay networks, by environment");

/** Schema of etc/phoenix_cluster.json. */
export const clusterFileSchema = z
  .strictObject({
    $schema: z.string().optional().describe("JSON Schema of this file, for editors"),
    name: clusterNameSchema,
    swarm: z
      .strictObject({
        managers: managersSchema,
        adopt: adoptSchema,
      })
      .default({ managers: "auto", adopt: "none" })
      .describe("Swarm policy"),
    labels: z
      .strictObject({
        hardware: z
          .boolean()
          .default(true)
          .describe("Set phoenix.* hardware labels (cpu, memory, gpu, guest)"),
        gpu: z.boolean().default(true).describe("Set gpu=true on guests with a GPU"),
      })
      .default({ hardware: true, gpu: true })
      .describe("Which labels Phoenix sets on its own"),
    environments: z
      .array(environmentNameSchema)
      .min(1, { error: "at least one environment is needed" })
      .superRefine((envs, ctx) => {
        const seen = new Set<string>();
        envs.forEach((env, i) => {
          if (seen.has(env))
            ctx.addIssue({
              code: "custom",
              path: [i],
              message: `environment ${JSON.stringify(env)} is listed twice`,
            });
          seen.add(env);
        });
      })
      .describe("Environments stacks can be deployed to; each gets its own overlay network"),
    environment_networks: environmentNetworksSchema,
    nats: z
      .strictObject({
        subject_prefix: natsPrefixSchema.default("phoenix"),
      })
      .default({ subject_prefix: "phoenix" })
      .describe("Events go to <subject_prefix>.<cluster>.<kind>.<action>"),
  })
  .describe("Phoenix cluster settings (etc/phoenix_cluster.json)");

/** Parsed etc/phoenix_cluster.json as written (snake_case). */
export type ClusterFile = z.output<typeof clusterFileSchema>;

function pick<T>(schema: z.ZodType<T>, value: unknown, fallback: T): T {
  const r = schema.safeParse(value);
  return r.success ? r.data : fallback;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * The valid parts of a cluster file that failed validation, with defaults elsewhere, so the
 * checks that span files still run and every problem is reported in one go.
 */
export function salvageClusterFile(value: unknown): ClusterFile {
  const raw = asRecord(value);
  const swarm = asRecord(raw.swarm);
  const labels = asRecord(raw.labels);
  const nats = asRecord(raw.nats);
  return {
    name: pick(clusterNameSchema, raw.name, ""),
    swarm: {
      managers: pick(managersSchema, swarm.managers, "auto"),
      adopt: pick(adoptSchema, swarm.adopt, "none"),
    },
    labels: { hardware: pick(z.boolean(), labels.hardware, true), gpu: pick(z.boolean(), labels.gpu, true) },
    environments: Array.isArray(raw.environments)
      ? raw.environments.filter((e): e is string => environmentNameSchema.safeParse(e).success)
      : [],
    environment_networks: pick(environmentNetworksSchema, raw.environment_networks, {}),
    nats: { subject_prefix: pick(natsPrefixSchema, nats.subject_prefix, "phoenix") },
  };
}
