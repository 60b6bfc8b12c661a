import { z } from "zod";
import {
  environmentNameKeySchema,
  placementConstraintSchema,
  scalarSchema,
  traefikLabelSchema,
  variableNameSchema,
} from "./schema-parts";

const environmentValuesSchema = z
  .union(
    [
      z.record(environmentNameKeySchema, scalarSchema),
      z.array(
        z.string().superRefine((value, ctx) => {
          // never echo the entry: it may be a secret pasted without its key
          const eq = value.indexOf("=");
          if (eq <= 0) ctx.addIssue({ code: "custom", message: "environment entry is not KEY=VALUE" });
        }),
      ),
    ],
    { error: 'expected a map {"KEY": "value"} or a list ["KEY=value"]' },
  )
  .describe("Environment variables merged into the service");

/** Per-environment settings of one compose service. */
export const serviceSettingsSchema = z
  .strictObject({
    traefik_labels: z.array(traefikLabelSchema).default([]),
    placement_constraints: z.array(placementConstraintSchema).default([]),
    replicas: z
      .int()
      .min(0)
      .optional()
      .describe("Replica count in this environment (replicated services only)"),
    environment: environmentValuesSchema.optional(),
  })
  .describe("Settings of one compose service in one environment");

/** One environment of a stack. */
export const stackEnvironmentSchema = z
  .strictObject({
    variables: z
      .record(variableNameSchema, scalarSchema)
      .default({})
      .describe("Values for variable interpolation ($VAR) in docker-compose.yml in this environment"),
    services: z
      .record(z.string(), serviceSettingsSchema)
      .default({})
      .describe("Keyed by compose service name"),
  })
  .describe("A stack's settings in one environment");

/** Schema of stacks/<stack>/phoenix.json. */
export const stackManifestSchema = z
  .looseObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    environments: z
      .record(z.string(), stackEnvironmentSchema)
      .default({})
      .describe("Environments this stack is deployed to, keyed by environment name"),
  })
  .describe("Phoenix stack manifest (stacks/<stack>/phoenix.json)");

/** Parsed phoenix.json as written (snake_case). */
export type StackManifestFile = z.output<typeof stackManifestSchema>;
