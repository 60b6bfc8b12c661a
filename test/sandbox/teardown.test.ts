import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { shimSocket } from "./teardown";

describe("teardown", () => {
  it("finds the socket a containerd shim made from its command line", () => {
    const cmd = [
      "/usr/bin/containerd-shim-runc-v2",
      "-namespace",
      "moby",
      "-id",
      "abc",
      "-address",
      "/x/containerd.sock",
    ];
    const hash = createHash("sha256").update("/x/containerd.sock/moby/abc").digest("hex");
    expect(shimSocket(cmd)).toBe(`/run/containerd/s/${hash}`);
    expect(shimSocket(["/usr/bin/containerd-shim-runc-v2", "-id", "abc"])).toBeUndefined();
  });
});
