import { describe, expect, it } from "vitest";
import { VERSION, versionWarning } from "./version";

describe("versionWarning", () => {
  it.each([
    ["0.1.0", "0.1.0", undefined],
    ["0.1.0", "", undefined],
    [
      "0.1.0",
      "0.2.0",
      "this phoenix command is 0.1.0, the coordinator 0.2.0: use the phoenix of the coordinator's version (the coordinator host's /usr/local/bin/phoenix, or a checkout built at that version)",
    ],
  ])("CLI %s, coordinator %j", (cli, coordinator, want) => {
    expect(versionWarning(cli, coordinator)).toBe(want);
  });

  it("this checkout's CLI is the coordinator's version, so status warns of nothing", async () => {
    const { VERSION: COORDINATOR } = await import("../../coordinator/src/config");
    expect(VERSION).toBe(COORDINATOR);
  });
});
