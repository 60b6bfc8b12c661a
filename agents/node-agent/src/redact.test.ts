import { describe, expect, it } from "vitest";
import { redact } from "./redact";

describe("redact", () => {
  it.each([
    [
      "join with SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx failed",
      [],
      "join with [redacted] failed",
    ],
    ["token abcd1234 rejected (abcd1234)", ["abcd1234"], "token [redacted] rejected ([redacted])"],
    ["short secrets are left alone: ab", ["ab"], "short secrets are left alone: ab"],
    ["nothing to hide", [undefined, ""], "nothing to hide"],
  ])("%s", (text, secrets, expected) => {
    expect(redact(text, secrets)).toBe(expected);
  });
});
