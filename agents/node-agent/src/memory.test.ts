import { describe, expect, it } from "vitest";
import { youngGenerationFlag } from "./memory";

describe("youngGenerationFlag", () => {
  it.each([
    ["10.2.154.26-node.36", "--scavenge-task-trigger=10"], // Node 18
    ["11.3.244.8-node.25", "--minor-gc-task-trigger=10"], // Node 20
    ["12.4.254.21-node.33", "--minor-gc-task-trigger=10"], // Node 22
  ])("V8 %s: %s", (version, flag) => {
    expect(youngGenerationFlag(version, 10)).toBe(flag);
  });

  it("names a flag this node's V8 knows", async () => {
    const { execFileSync } = await import("node:child_process");
    const flag = youngGenerationFlag(process.versions.v8, 10).replace(/=.*/, "");
    expect(execFileSync(process.execPath, ["--v8-options"], { encoding: "utf8" })).toContain(`  ${flag} `);
  });
});
