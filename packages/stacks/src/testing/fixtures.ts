import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnvFile } from "../env-file";
import { type RenderedStack, renderStackSource } from "../render";

// Access to the real-world compose fixtures for the golden and conformance tests.

/** Directory of the fixture compose files (see fixtures/SOURCES.md). */
export const FIXTURE_DIR = fileURLToPath(new URL("../../fixtures/compose", import.meta.url));
/** Directory of the expected renders. */
export const GOLDEN_DIR = fileURLToPath(new URL("../../fixtures/golden", import.meta.url));
/** Where goldens pretend the fixtures live, so bind paths do not depend on the checkout. */
export const VIRTUAL_DIR = "/srv/phoenix/fixtures";

/** Names of all fixtures (`<name>.yml`). */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** Variables a fixture is deployed with (`<name>.vars`, KEY=VALUE lines), as `docker` sees them. */
export function fixtureVariables(name: string): Record<string, string> {
  const file = join(FIXTURE_DIR, `${name}.vars`);
  const vars: Record<string, string> = {};
  if (!existsSync(file)) return vars;
  for (const { key, value } of parseEnvFile(readFileSync(file, "utf8"))) vars[key] = value;
  return vars;
}

/** Renders a fixture into namespace `name`, from `workingDir` (the virtual one by default). */
export function renderFixture(name: string, workingDir = VIRTUAL_DIR): RenderedStack {
  return renderStackSource({
    composeYaml: readFileSync(join(FIXTURE_DIR, `${name}.yml`), "utf8"),
    composeFile: `${name}.yml`,
    workingDir,
    namespace: name,
    variables: fixtureVariables(name),
    readFile: (path) =>
      readFileSync(path.startsWith(VIRTUAL_DIR) ? FIXTURE_DIR + path.slice(VIRTUAL_DIR.length) : path),
  });
}
