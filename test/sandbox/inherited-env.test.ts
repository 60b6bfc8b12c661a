import { describe, expect, it } from "vitest";
import { inheritedEnv } from "./inherited-env";

describe("inheritedEnv", () => {
  it("drops Phoenix's settings and keeps the rest, the harness's own settings among them", () => {
    expect(
      inheritedEnv({
        PATH: "/usr/bin",
        HOME: "/root",
        PHOENIX_COORDINATOR: "10.213.0.1:40761",
        PHOENIX_TOKEN_FILE: "/var/lib/phoenix-lab/lab/tokens/api.token",
        PHOENIX_HEARTBEAT_INTERVAL: "1s",
        PHOENIX_SANDBOX_ROOT: "/tmp/sb",
        PHOENIX_LAB_ROOT: "/tmp/lab",
        PHOENIX_BENCH_CI_FACTOR: "5",
        NO_PHOENIX_HERE: "x",
      }),
    ).toEqual({
      PATH: "/usr/bin",
      HOME: "/root",
      PHOENIX_SANDBOX_ROOT: "/tmp/sb",
      PHOENIX_LAB_ROOT: "/tmp/lab",
      PHOENIX_BENCH_CI_FACTOR: "5",
      NO_PHOENIX_HERE: "x",
    });
  });
});
