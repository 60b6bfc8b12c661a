import { createHash } from "node:crypto";
import type { Stack } from "./model-types";
import { STACK_MANIFEST } from "./parse-stacks";

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * A hash of everything a stack deployment in one environment is made from: the stack's files
 * (compose file, .env, configs) and that environment's settings from phoenix.json, but not the
 * other environments' settings, so editing dev1 does not redeploy production. `extra` adds
 * anything else the deployment depends on (e.g. its pin constraint).
 */
export function stackSourceHash(stack: Stack, env: string, extra = ""): string {
  const h = createHash("sha256");
  h.update(`${stack.name}\0${env}\0${extra}\0`);
  const manifest = `${stack.dir}/${STACK_MANIFEST}`;
  for (const path of Object.keys(stack.files).sort()) {
    if (path === manifest) continue;
    h.update(`${path}\0${stack.files[path]}\0`);
  }
  h.update(canonicalJson(stack.environments[env] ?? null));
  return h.digest("hex");
}
