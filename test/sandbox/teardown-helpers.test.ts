import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findProgram } from "./preflight";
import { splitRule } from "./sweep";
import { shimSocket } from "./teardown";
import { isStaticElf } from "./test-image";

describe("teardown helpers", () => {
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

  it.each([
    [
      '-A FORWARD -i phsb3 -o phsb3 -m comment --comment "phoenix-sandbox sb-1" -j ACCEPT',
      [
        "-A",
        "FORWARD",
        "-i",
        "phsb3",
        "-o",
        "phsb3",
        "-m",
        "comment",
        "--comment",
        "phoenix-sandbox sb-1",
        "-j",
        "ACCEPT",
      ],
    ],
    ["-P FORWARD ACCEPT", ["-P", "FORWARD", "ACCEPT"]],
  ])("splits the iptables rule %s", (line, args) => {
    expect(splitRule(line)).toEqual(args);
  });

  it("tells a static binary from a dynamic one", () => {
    expect(isStaticElf(readFileSync(process.execPath))).toBe(false);
    expect(isStaticElf(Buffer.from("#!/bin/sh\n"))).toBe(false);
    expect(isStaticElf(readFileSync(findProgram("busybox")!))).toBe(true);
  });
});
