import { describe, expect, it } from "vitest";
import { createWriteLock } from "./write-lock";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("write lock", () => {
  it("runs holders one at a time, in arrival order, through failures", async () => {
    const lock = createWriteLock();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) =>
      lock.run(name, async () => {
        log.push(`start ${name} (holder ${lock.holder}, waiting ${lock.waiting})`);
        await sleep(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([job("a", 30), job("b", 5, true), job("c", 1)]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      "a",
      "b failed",
      "c",
    ]);
    expect(log).toEqual([
      "start a (holder a, waiting 2)",
      "end a",
      "start b (holder b, waiting 1)",
      "end b",
      "start c (holder c, waiting 0)",
      "end c",
    ]);
    expect(lock.holder).toBeUndefined();
  });
});
