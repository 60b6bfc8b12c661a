import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { createAbortFanout } from "./abort-fanout";

const listeners = (s: AbortSignal) => getEventListeners(s, "abort").length;

describe("abort fan-out", () => {
  it("holds one listener for any number of callbacks and calls each once on abort", () => {
    const fanout = createAbortFanout();
    const ac = new AbortController();
    const calls: number[] = [];
    for (let i = 0; i < 50; i++) fanout.on(ac.signal, () => calls.push(i));
    expect(listeners(ac.signal)).toBe(1);
    ac.abort();
    expect(calls).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(listeners(ac.signal)).toBe(0);
  });

  it("drops the listener when the last callback is forgotten, and skips forgotten ones", () => {
    const fanout = createAbortFanout();
    const ac = new AbortController();
    const calls: string[] = [];
    const offA = fanout.on(ac.signal, () => calls.push("a"));
    const offB = fanout.on(ac.signal, () => calls.push("b"));
    offA();
    offA();
    expect(listeners(ac.signal)).toBe(1);
    offB();
    expect(listeners(ac.signal)).toBe(0);
    fanout.on(ac.signal, () => calls.push("c"));
    expect(listeners(ac.signal)).toBe(1);
    ac.abort();
    expect(calls).toEqual(["c"]);
  });

  it("a callback may forget another one while the abort runs", () => {
    const fanout = createAbortFanout();
    const ac = new AbortController();
    const calls: string[] = [];
    let offB = () => {};
    fanout.on(ac.signal, () => {
      calls.push("a");
      offB();
    });
    offB = fanout.on(ac.signal, () => calls.push("b"));
    ac.abort();
    expect(calls).toEqual(["a"]);
  });

  it("calls back soon for a signal aborted already, unless forgotten first", async () => {
    const fanout = createAbortFanout();
    const calls: string[] = [];
    const signal = AbortSignal.abort();
    fanout.on(signal, () => calls.push("late"));
    fanout.on(signal, () => calls.push("forgotten"))();
    expect(calls).toEqual([]);
    await Promise.resolve();
    expect(calls).toEqual(["late"]);
    expect(listeners(signal)).toBe(0);
  });
});
