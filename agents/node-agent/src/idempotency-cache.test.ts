import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandResultSchema, create } from "@phoenix/proto";
import { afterAll, describe, expect, it } from "vitest";
import { createIdempotencyCache } from "./idempotency-cache";
import { createLogger } from "./logger";

const result = (id: string) =>
  create(CommandResultSchema, {
    commandId: id,
    idempotencyKey: `k-${id}`,
    durationMs: 7,
    result: { case: "swarmJoin", value: { nodeId: `node-${id}`, already: false } },
  });

describe("idempotency cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "phoenix-idem-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("returns what was set and evicts the least recently used entry", () => {
    const c = createIdempotencyCache({ max: 3 });
    for (const id of ["a", "b", "c"]) c.set(id, result(id));
    expect(c.get("a")?.commandId).toBe("a"); // a is now the most recent
    c.set("d", result("d"));
    expect(c.keys()).toEqual(["c", "a", "d"]);
    expect(c.get("b")).toBeUndefined();
    expect(c.size).toBe(3);
  });

  it("setting a key again replaces it and makes it the most recent", () => {
    const c = createIdempotencyCache({ max: 2 });
    c.set("a", result("a"));
    c.set("b", result("b"));
    c.set("a", result("a2"));
    c.set("c", result("c"));
    expect(c.keys()).toEqual(["a", "c"]);
    expect(c.get("a")?.commandId).toBe("a2");
  });

  it("persists to its file (mode 0600) and a new cache over the same file remembers", () => {
    const file = join(dir, "state", "command-results.json");
    const c = createIdempotencyCache({ max: 10, file });
    c.set("join-1", result("1"));
    c.set("join-2", result("2"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = createIdempotencyCache({ max: 10, file });
    expect(again.keys()).toEqual(["join-1", "join-2"]);
    const r = again.get("join-2")!;
    expect(r.result.case).toBe("swarmJoin");
    expect(r.result.value).toMatchObject({ nodeId: "node-2" });
    expect(r.durationMs).toBe(7);
  });

  it("keeps only the newest entries of a file written with a larger bound", () => {
    const file = join(dir, "bound.json");
    const big = createIdempotencyCache({ max: 10, file });
    for (const id of ["a", "b", "c", "d"]) big.set(id, result(id));
    expect(createIdempotencyCache({ max: 2, file }).keys()).toEqual(["c", "d"]);
  });

  it("starts empty, with a warning, over a corrupt file, and replaces it on the next write", () => {
    const file = join(dir, "corrupt.json");
    writeFileSync(file, "{not json");
    const lines: string[] = [];
    const log = createLogger("warn", { write: (s: string) => lines.push(s) });
    const c = createIdempotencyCache({ file, log });
    expect(c.size).toBe(0);
    expect(lines.join("")).toMatch(/ignoring unreadable idempotency state file/);
    c.set("x", result("x"));
    expect(JSON.parse(readFileSync(file, "utf8")).entries).toHaveLength(1);
  });

  it("a missing file is an empty cache and is only created on the first write", () => {
    const file = join(dir, "fresh.json");
    const c = createIdempotencyCache({ file });
    expect(c.size).toBe(0);
    expect(existsSync(file)).toBe(false);
  });
});
