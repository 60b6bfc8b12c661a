import { describe, expect, it } from "vitest";
import { splitRule } from "./sweep";

describe("sweep", () => {
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
});
