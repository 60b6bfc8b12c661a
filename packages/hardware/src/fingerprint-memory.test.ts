import { describe, expect, it } from "vitest";
import { memoryFromMeminfo } from "./fingerprint-memory";

const GiB = 2n ** 30n;

describe("memoryFromMeminfo", () => {
  it("total, available and swap in bytes", () => {
    const meminfo =
      "MemTotal:       24683748 kB\nMemFree:        23552288 kB\nMemAvailable:   23988364 kB\n" +
      "Buffers:            6384 kB\nCached:           615416 kB\nSwapCached:            0 kB\n" +
      "SwapTotal:       4194300 kB\nSwapFree:        4194300 kB\n";
    expect(memoryFromMeminfo(meminfo)).toMatchObject({
      totalBytes: 24683748n * 1024n,
      availableBytes: 23988364n * 1024n,
      swapTotalBytes: 4194300n * 1024n,
    });
  });

  it("a kernel without MemAvailable: free plus buffers, page cache and slab", () => {
    const meminfo =
      "MemTotal:        4194304 kB\nMemFree:         1048576 kB\nBuffers:          262144 kB\n" +
      "Cached:          524288 kB\nSwapCached:       999999 kB\nSlab:             262144 kB\nSwapTotal:             0 kB\n";
    expect(memoryFromMeminfo(meminfo)).toMatchObject({
      totalBytes: 4n * GiB,
      availableBytes: 2n * GiB,
      swapTotalBytes: 0n,
    });
  });

  it("nothing readable: the os module's numbers", () => {
    const m = memoryFromMeminfo("");
    expect(m.totalBytes).toBeGreaterThan(0n);
    expect(Number(m.availableBytes)).toBeGreaterThan(0);
    expect(Number(m.availableBytes)).toBeLessThanOrEqual(Number(m.totalBytes));
  });
});
