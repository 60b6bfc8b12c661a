import { describe, expect, it } from "vitest";
import { hotSpots } from "./cpu-profile";

const frame = (functionName: string, lineNumber: number) => ({
  functionName,
  url: "file:///x/dist/app.mjs",
  lineNumber,
});

describe("hotSpots", () => {
  it("sums self time per function and total time along the stack, hottest first", () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)", -1), children: [2] },
        { id: 2, callFrame: frame("send", 9), children: [3, 4] },
        { id: 3, callFrame: frame("encode", 19) },
        { id: 4, callFrame: frame("write", 29) },
      ],
      samples: [3, 3, 4, 2, 3],
      timeDeltas: [1000, 1000, 2000, 500, 1000],
    };
    expect(hotSpots(profile, 3)).toEqual([
      { name: "encode dist/app.mjs:20", selfMs: 3, totalMs: 3 },
      { name: "write dist/app.mjs:30", selfMs: 2, totalMs: 2 },
      { name: "send dist/app.mjs:10", selfMs: 0.5, totalMs: 5.5 },
    ]);
  });
});
