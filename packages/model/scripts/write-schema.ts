// Regenerates packages/model/schema/*.schema.json from the zod schemas: npm run schema -w @phoenix/model
import { fileURLToPath } from "node:url";
import { writeModelJsonSchemas } from "../src/json-schema";

const dir = fileURLToPath(new URL("../schema/", import.meta.url));
for (const file of await writeModelJsonSchemas(dir)) console.log(`wrote schema/${file}`);
