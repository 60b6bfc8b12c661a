import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createOutput, formatAge, formatTable } from "./output";

function sink(isTTY: boolean) {
  let text = "";
  const s = new Writable({
    write(chunk, _enc, cb) {
      text += chunk;
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  s.isTTY = isTTY;
  return { s, text: () => text };
}

describe("output", () => {
  it("aligns columns and trims trailing space", () => {
    expect(
      formatTable(
        ["NAME", "ROLE"],
        [
          ["manager-01", "manager"],
          ["w", "worker"],
        ],
      ),
    ).toBe("NAME         ROLE\nmanager-01   manager\nw            worker\n");
  });

  it.each([
    [true, {}, true],
    [true, { NO_COLOR: "" }, false],
    [true, { NO_COLOR: "1" }, false],
    [false, {}, false],
    [true, { TERM: "dumb" }, false],
  ])("tty=%s env=%j colours: %s", (tty, env, color) => {
    const { s, text } = sink(tty);
    const out = createOutput({ stdout: s, env });
    out.line(out.green("ok"));
    expect(out.color).toBe(color);
    expect(text()).toBe(color ? "\u001b[32mok\u001b[0m\n" : "ok\n");
  });

  it("measures width without colour codes", () => {
    const { s, text } = sink(true);
    const out = createOutput({ stdout: s, env: {} });
    out.table(["A", "B"], [[out.green("x"), "y"]]);
    expect(text()).toBe("A   B\n\u001b[32mx\u001b[0m   y\n");
  });

  it.each([
    [5_000, "5s ago"],
    [120_000, "2m ago"],
    [7_200_000, "2h ago"],
    [172_800_000, "2d ago"],
  ])("age %i ms is %s", (ms, want) => {
    expect(formatAge(new Date(1_000_000_000_000 - ms), 1_000_000_000_000)).toBe(want);
  });
});
