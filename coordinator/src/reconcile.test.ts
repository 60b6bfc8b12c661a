import { describe, expect, it } from "vitest";
import { createLogger } from "./logger";
import { createReconciler } from "./reconcile";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("reconciler", () => {
  it("batches a burst of touches into one run, and touches during a run into the next", async () => {
    const runs: string[][] = [];
    let release!: () => void;
    const r = createReconciler({
      debounceMs: 20,
      logger: createLogger("silent"),
      run: async (guests) => {
        runs.push([...guests].sort());
        if (runs.length === 1) await new Promise<void>((res) => (release = res));
      },
    });
    r.touch("a", "agent registered");
    r.touch("b", "agent registered");
    r.touch("a", "inventory changed");
    await sleep(60);
    expect(runs).toEqual([["a", "b"]]);
    r.touch("c", "agent registered");
    r.touch("a", "swarm membership changed");
    await sleep(60);
    expect(runs).toHaveLength(1);
    release();
    await r.idle();
    expect(runs).toEqual([
      ["a", "b"],
      ["a", "c"],
    ]);
    await r.close();
  });

  it("does not wait past maxWait while touches keep coming", async () => {
    const runs: number[] = [];
    const start = Date.now();
    const r = createReconciler({
      debounceMs: 50,
      maxWaitMs: 120,
      logger: createLogger("silent"),
      run: async () => {
        runs.push(Date.now() - start);
      },
    });
    // Touches for at least 900 ms, each within the debounce of the one before: without maxWait the
    // first run would come after the last touch. The bound leaves a loaded machine's timers room.
    for (let i = 0; i < 30; i++) {
      r.touch(`g${i}`, "agent registered");
      await sleep(30);
    }
    await r.idle();
    expect(runs[0]).toBeLessThan(600);
    await r.close();
  });

  it("a failing run is logged and the next touch runs again; an empty guest is ignored", async () => {
    let calls = 0;
    const r = createReconciler({
      debounceMs: 0,
      logger: createLogger("silent"),
      run: async () => {
        calls++;
        throw new Error("no manager");
      },
    });
    r.touch("", "agent registered");
    await sleep(10);
    expect(calls).toBe(0);
    r.touch("a", "x");
    await r.idle();
    r.touch("a", "x");
    await r.idle();
    expect(calls).toBe(2);
    await r.close();
    r.touch("a", "x");
    await sleep(10);
    expect(calls).toBe(2);
  });
});
