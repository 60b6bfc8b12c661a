import { describe, expect, it } from "vitest";
import { missingPrograms } from "./preflight";

describe("preflight", () => {
  it.each([
    [["dockerd"], { nats: true, image: true }, "missing dockerd: apt-get install -y docker.io"],
    [
      ["nats-server", "busybox", "containerd", "containerd-shim-runc-v2"],
      { nats: true, image: true },
      "missing containerd, containerd-shim-runc-v2, nats-server, busybox: apt-get install -y containerd nats-server busybox-static",
    ],
    [["nats-server", "busybox"], { nats: false, image: false }, undefined],
  ])("with %j missing (%j) says %j", (absent, opts, message) => {
    expect(missingPrograms(opts, (p) => (absent.includes(p) ? undefined : `/usr/bin/${p}`))).toBe(message);
  });
});
