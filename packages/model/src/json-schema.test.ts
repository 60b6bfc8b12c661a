import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { modelJsonSchemas } from "./json-schema";

const SCHEMA_DIR = fileURLToPath(new URL("../schema/", import.meta.url));

describe("committed JSON Schemas", () => {
  const schemas = modelJsonSchemas();

  it("are exactly the files of schema/", async () => {
    const files = (await readdir(SCHEMA_DIR)).filter((f) => f.endsWith(".schema.json")).sort();
    expect(files).toEqual(Object.keys(schemas).sort());
  });

  it.each(Object.keys(schemas))(
    "%s is up to date (else run: npm run schema -w @phoenix/model)",
    async (file) => {
      expect(await readFile(`${SCHEMA_DIR}${file}`, "utf8")).toBe(schemas[file]);
    },
  );

  it("describe the guest fields editors complete", () => {
    const vm = JSON.parse(schemas["phoenix_vm_configs.schema.json"]!);
    const guest = vm.$defs.guest;
    expect(Object.keys(guest.properties)).toEqual([
      "vmid",
      "name",
      "swarm_role",
      "swarm_availability",
      "node_labels",
      "docker_stacks",
    ]);
    expect(guest.required).toEqual(["vmid", "name"]);
    // unknown Proxmox keys (cores, memory_mb, ...) stay allowed
    expect(guest.additionalProperties).toEqual({});
  });
});
