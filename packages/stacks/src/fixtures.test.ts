import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderedStackJson } from "./render";
import { fixtureNames, GOLDEN_DIR, renderFixture } from "./testing/fixtures";

// Each real-world fixture renders exactly to its golden file. The goldens were checked field by
// field against the requests `docker stack deploy` (docker CLI 28.2.2) sends for the same file
// and namespace; `conformance.sandbox.test.ts` repeats that check against a real daemon.
// UPDATE_GOLDEN=1 rewrites them.

describe("fixtures render to their goldens", () => {
  const names = fixtureNames();

  it("has a broad set of fixtures", () => {
    expect(names.length).toBeGreaterThanOrEqual(15);
  });

  it.each(names)("%s", (name) => {
    const json = renderedStackJson(renderFixture(name));
    const file = join(GOLDEN_DIR, `${name}.json`);
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(file, json);
    }
    expect(existsSync(file), `golden ${file} is missing (UPDATE_GOLDEN=1 writes it)`).toBe(true);
    expect(json).toBe(readFileSync(file, "utf8"));
  });

  it.each(names)("%s renders the same twice", (name) => {
    expect(renderedStackJson(renderFixture(name))).toBe(renderedStackJson(renderFixture(name)));
  });
});
