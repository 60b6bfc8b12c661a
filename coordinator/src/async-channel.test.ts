import { describe, expect, it } from "vitest";
import { createChannel } from "./async-channel";

describe("async channel", () => {
  it("yields what was pushed, before and while iterating, then ends", async () => {
    const ch = createChannel<number>();
    ch.push(1);
    setTimeout(() => {
      ch.push(2);
      ch.push(3);
      ch.close();
      ch.push(4);
    }, 10);
    const got: number[] = [];
    for await (const n of ch) got.push(n);
    expect(got).toEqual([1, 2, 3]);
  });

  it("throws the close error after the items", async () => {
    const ch = createChannel<string>();
    ch.push("a");
    ch.close(new Error("boom"));
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const s of ch) got.push(s);
      })(),
    ).rejects.toThrow("boom");
    expect(got).toEqual(["a"]);
  });
});
