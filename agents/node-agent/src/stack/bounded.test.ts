import { describe, expect, it } from "vitest";
import { eachBounded } from "./bounded";

/** A task that resolves or rejects when the test says so. */
function gate() {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { done, open, fail };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("eachBounded", () => {
  it.each([
    [0, 3, 0],
    [5, 3, 3],
    [2, 8, 2],
    [4, 1, 1],
    [4, 0, 1],
  ])("%i items, limit %i: at most %i run at once, every item runs once", async (count, limit, peak) => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await eachBounded(
      Array.from({ length: count }, (_, i) => i),
      limit,
      async (item, index) => {
        expect(index).toBe(item);
        running++;
        most = Math.max(most, running);
        await tick();
        seen.push(item);
        running--;
      },
    );
    expect(most).toBe(peak);
    expect(seen.sort()).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it("starts items in order as slots free up", async () => {
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const run = eachBounded([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      await gates[i]?.done;
    });
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    await run;
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it("after a failure starts nothing new, waits for the running items, then throws the first failure", async () => {
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const finished: number[] = [];
    const run = eachBounded([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      await gates[i]?.done;
      finished.push(i);
    });
    let settled = false;
    const outcome = run.then(
      () => undefined,
      (err: unknown) => err,
    );
    void outcome.then(() => {
      settled = true;
    });
    await tick();
    gates[0]?.fail(new Error("first"));
    await tick();
    expect(settled).toBe(false);
    gates[1]?.fail(new Error("second"));
    await tick();
    expect(started).toEqual([0, 1]);
    expect(await outcome).toMatchObject({ message: "first" });
  });

  it("lets a running item finish its work after another failed", async () => {
    const slow = gate();
    const finished: number[] = [];
    const run = eachBounded([0, 1], 2, async (i) => {
      if (i === 0) throw new Error("boom");
      await slow.done;
      finished.push(i);
    });
    const outcome = run.catch((err: unknown) => err);
    await tick();
    expect(finished).toEqual([]);
    slow.open();
    expect(await outcome).toMatchObject({ message: "boom" });
    expect(finished).toEqual([1]);
  });
});
