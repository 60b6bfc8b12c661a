import { describe, expect, it } from "vitest";
import { ciFactor, type FigureInput, failed, figure, skipped } from "./figures";
import { renderTable } from "./table";

const base: FigureInput = { id: "x", section: "s", label: "l", unit: "ms", budget: 100 };

describe("figure", () => {
  it.each<[string, FigureInput, string]>([
    ["under the budget", { ...base, value: 40 }, "within"],
    ["at the budget", { ...base, value: 100 }, "within"],
    ["over the budget, within 3x", { ...base, value: 250 }, "over"],
    ["at 3x", { ...base, value: 300 }, "over"],
    ["past 3x", { ...base, value: 301 }, "FAIL"],
    ["past an explicit CI limit", { ...base, budget: 0, ciLimit: 0, value: 1 }, "FAIL"],
    ["zero against a zero budget", { ...base, budget: 0, ciLimit: 0, value: 0 }, "within"],
    ["without a budget", { ...base, budget: undefined, value: 5_000 }, "info"],
    ["unmeasured", { ...base }, "skipped"],
    ["NaN", { ...base, value: Number.NaN }, "skipped"],
  ])("%s", (_, input, verdict) => {
    expect(figure(input).verdict).toBe(verdict);
  });

  it("derives the CI limit and the ratio against a reference in the same unit", () => {
    const f = figure({ ...base, value: 60, reference: { label: "docker", value: 120, unit: "ms" } });
    expect(f).toMatchObject({ ciLimit: 300, ratio: 0.5 });
    const other = figure({ ...base, value: 60, reference: { label: "n", value: 3, unit: "count" } });
    expect(other.ratio).toBeUndefined();
  });

  it("fails a run only past a CI limit", () => {
    expect(failed([figure({ ...base, value: 250 }), skipped(base, "no sandbox")])).toBe(false);
    expect(failed([figure({ ...base, value: 400 })])).toBe(true);
  });
});

describe("renderTable", () => {
  it("prints one row per figure, the section once, notes numbered below", () => {
    const text = renderTable([
      figure({ ...base, id: "a", section: "plan", label: "plan", value: 12.345, note: "median of 7" }),
      figure({
        ...base,
        id: "b",
        section: "plan",
        label: "load",
        unit: "MiB",
        value: 45.67,
        budget: 50,
        reference: { label: "bare node", value: 40, unit: "MiB" },
      }),
      skipped({ ...base, id: "c", section: "deploy", label: "ratio", unit: "x", budget: 1 }, "no sandbox"),
    ]);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^benchmark\s+figure\s+value\s+measured beside it\s+budget\s+CI limit\s+verdict$/,
    );
    expect(lines[2]).toMatch(/^plan\s+plan \[1\]\s+12\.3 ms\s+<= 100 ms\s+<= 300 ms\s+within$/);
    expect(lines[3]).toMatch(
      /^\s+load\s+45.7 MiB\s+bare node 40 MiB \(ratio 1\.14x\)\s+<= 50 MiB\s+<= 150 MiB\s+within$/,
    );
    expect(lines[4]).toMatch(/^-+/);
    expect(lines[5]).toMatch(/^deploy\s+ratio \[2\]\s+-\s+<= 1x\s+<= 3x\s+skipped$/);
    expect(lines.slice(-2)).toEqual(["[1] median of 7", "[2] no sandbox"]);
  });
});

describe("ciFactor", () => {
  it.each([
    [undefined, 3],
    ["", 3],
    ["5", 5],
    ["1.5", 1.5],
  ])("%j is %d", (text, want) => expect(ciFactor(text)).toBe(want));
  it.each(["0", "-2", "lots"])("refuses %j", (text) => {
    expect(() => ciFactor(text)).toThrow(/PHOENIX_BENCH_CI_FACTOR/);
  });
});
