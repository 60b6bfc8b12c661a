import { describe, expect, it } from "vitest";
import { CLK_TCK, measureProcesses, parseCpuTicks, parseRssKiB, usageOf } from "./proc-usage";

describe("parsing /proc", () => {
  it.each<[string, number | undefined]>([
    ["Name:\tnode\nVmPeak:\t  900 kB\nVmRSS:\t   41236 kB\nRssAnon:\t 1 kB\n", 41236],
    ["Name:\tkthreadd\nState:\tS\n", undefined],
  ])("VmRSS %#", (text, want) => expect(parseRssKiB(text)).toBe(want));

  it.each<[string, number | undefined]>([
    [
      "4242 (node) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 25 0 0 20 0 11 0 1234 1 1 18446744073709551615",
      175,
    ],
    ["77 (odd) name (x)) R 1 77 77 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 9 1 1 1", 7],
    ["garbage", undefined],
  ])("utime+stime %#", (text, want) => expect(parseCpuTicks(text)).toBe(want));

  it.each<[string, number | undefined]>([
    [
      "4242 (dockerd) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 25 40 5 20 0 11 0 1234 1 1 18446744073709551615",
      220,
    ],
    ["77 (odd) name (x)) R 1 77 77 0 -1 0 0 0 0 0 3 4", undefined],
  ])("with the children waited for %#", (text, want) => expect(parseCpuTicks(text, true)).toBe(want));
});

describe("usageOf", () => {
  it("gives CPU as a share of one core over the window and RSS mean, peak and last", () => {
    const u = usageOf([
      { at: 0, rssKiB: 40 * 1024, cpuTicks: 10 },
      { at: 5_000, rssKiB: 44 * 1024, cpuTicks: 10 + CLK_TCK / 20 },
      { at: 10_000, rssKiB: 42 * 1024, cpuTicks: 10 + CLK_TCK / 10 },
    ]);
    expect(u).toMatchObject({
      rssMeanMiB: 42,
      rssPeakMiB: 44,
      rssPeakAtS: 5,
      rssLastMiB: 42,
      cpuMs: 100,
      seconds: 10,
    });
    expect(u.cpuPercent).toBeCloseTo(1, 6);
  });
});

describe("measureProcesses", () => {
  it("measures this process over a short window", async () => {
    const [u] = await measureProcesses([process.pid], 300, 100);
    expect(u!.readings).toBeGreaterThanOrEqual(3);
    expect(u!.rssPeakMiB).toBeGreaterThan(10);
    expect(u!.seconds).toBeGreaterThanOrEqual(0.29);
  });

  it("refuses a process that is not there", async () => {
    await expect(measureProcesses([2 ** 22 + 1], 100)).rejects.toThrow(/exited/);
  });
});
