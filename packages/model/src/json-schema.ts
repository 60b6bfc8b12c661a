import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { clusterFileSchema } from "./cluster-schema";
import { lxcFileSchema, vmFileSchema } from "./guest-schema";
import { stackManifestSchema } from "./stack-manifest-schema";

const SCHEMAS = {
  phoenix_cluster: clusterFileSchema,
  phoenix_vm_configs: vmFileSchema,
  phoenix_lxc_configs: lxcFileSchema,
  phoenix_stack: stackManifestSchema,
} as const;

/**
 * JSON Schemas of the model files, derived from the zod schemas (input side: defaults are
 * optional), keyed by file name (`phoenix_cluster.schema.json`, ...). Editors use them for
 * completion; validation itself is done by the zod schemas, which check more.
 */
export function modelJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const json = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" });
    out[`${name}.schema.json`] = `${JSON.stringify({ ...json, title: name }, null, 2)}\n`;
  }
  return out;
}

/** Writes {@link modelJsonSchemas} into a directory. */
export async function writeModelJsonSchemas(dir: string): Promise<string[]> {
  const schemas = modelJsonSchemas();
  await Promise.all(Object.entries(schemas).map(([file, text]) => writeFile(join(dir, file), text)));
  return Object.keys(schemas);
}
