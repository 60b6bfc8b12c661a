import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findProgram } from "./preflight";
import { isStaticElf } from "./test-image";

describe("test image", () => {
  it("tells a static binary from a dynamic one", () => {
    expect(isStaticElf(readFileSync(process.execPath))).toBe(false);
    expect(isStaticElf(Buffer.from("#!/bin/sh\n"))).toBe(false);
    expect(isStaticElf(readFileSync(findProgram("busybox")!))).toBe(true);
  });
});
