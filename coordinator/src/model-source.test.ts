import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "@phoenix/model";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createLogger } from "./logger";
import { createModelSource } from "./model-source";
import { writeModel } from "./test-support/lab";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cluster = (name: string) => ({ "etc/phoenix_cluster.json": { name, environments: ["dev1"] } });

function source() {
  const dir = writeModel(cluster("first"), mkdtempSync(join(tmpdir(), "phoenix-model-source-")));
  dirs.push(dir);
  const setName = (name: string) =>
    writeFileSync(join(dir, "etc/phoenix_cluster.json"), JSON.stringify({ name, environments: ["dev1"] }));
  return { models: createModelSource(dir, createLogger("silent")), setName };
}

describe("model source", () => {
  it("answers a fresh load asked while an older read is under way with a read that starts after it", async () => {
    // Reads the test finishes by hand: the first has read the files when the edit lands.
    const reads: { release: () => void }[] = [];
    const { models: real } = source();
    const loader: typeof loadModel = (dir, memo) =>
      new Promise((resolve) => reads.push({ release: () => resolve(loadModel(dir, memo)) }));
    const models = createModelSource(real.dir, createLogger("silent"), undefined, loader);
    const early = models.load();
    const fresh = models.load();
    const alsoFresh = models.load();
    // Fresh callers that come while the next read is queued share it.
    expect(alsoFresh).toBe(fresh);
    expect(reads).toHaveLength(1);
    reads[0]!.release();
    await early;
    await vi.waitFor(() => expect(reads).toHaveLength(2));
    let settled = false;
    fresh.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    reads[1]!.release();
    await fresh;
  });

  it("gives a caller that accepts a cached model the last one read, without reading again", async () => {
    const { models, setName } = source();
    const first = await models.load();
    setName("second");
    expect(await models.load(60_000)).toBe(first);
    expect((await models.load()).cluster.name).toBe("second");
  });

  it("sees a broken file at once after a read under way, and the last good model stays current", async () => {
    const { models } = source();
    await models.load();
    const dir = models.dir;
    const early = models.load();
    writeFileSync(join(dir, "etc/phoenix_cluster.json"), "{ not json");
    await expect(models.load()).rejects.toMatchObject({ code: "INVALID_MODEL" });
    await early.catch(() => {});
    expect(models.current?.cluster.name).toBe("first");
    expect(models.error?.code).toBe("INVALID_MODEL");
  });
});
