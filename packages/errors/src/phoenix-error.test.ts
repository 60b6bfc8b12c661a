import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor, PhoenixError } from "./phoenix-error";

describe("PhoenixError", () => {
  it.each([
    [
      { file: "etc/phoenix_vm_configs.json", path: "$[0].vmid" },
      "etc/phoenix_vm_configs.json at $[0].vmid: bad",
    ],
    [{ node: "gpu-1", command: "swarm.join" }, "node gpu-1, command swarm.join: bad"],
    [{}, "bad"],
  ])("describes %j", (place, text) => {
    expect(new PhoenixError(ErrorCode.INVALID_MODEL, "bad", { place }).describe()).toBe(text);
  });

  it("lists details one per line", () => {
    const e = new PhoenixError(ErrorCode.INVALID_MODEL, "2 problems", {
      details: [
        new PhoenixError(ErrorCode.INVALID_MODEL, "a", { place: { file: "f", path: "$.x" } }),
        new PhoenixError(ErrorCode.INVALID_MODEL, "b", { place: { file: "g" } }),
      ],
    });
    expect(e.describe()).toBe("2 problems\n  - f at $.x: a\n  - g: b");
  });

  it("wraps unknown errors and keeps its own", () => {
    const own = new PhoenixError(ErrorCode.DOCKER, "x");
    expect(PhoenixError.from(own)).toBe(own);
    const wrapped = PhoenixError.from(new Error("boom"), ErrorCode.TIMEOUT);
    expect([wrapped.code, wrapped.message]).toEqual([ErrorCode.TIMEOUT, "boom"]);
  });

  it.each([
    [ErrorCode.INVALID_MODEL, 2],
    [ErrorCode.UNAUTHENTICATED, 2],
    [ErrorCode.UNAVAILABLE, 3],
    [ErrorCode.DEPLOY_FAILED, 1],
  ])("maps %s to exit code %i", (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });
});
