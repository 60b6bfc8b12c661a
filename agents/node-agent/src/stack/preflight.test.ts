import { describe, expect, it } from "vitest";
import { abortError } from "./abort";
import { checkNamespace } from "./preflight";

describe("checkNamespace", () => {
  it.each(["dev1_app", "a", "test-1.x"])("accepts %s", (ns) => {
    expect(checkNamespace(ns)).toBe(ns);
  });
  it.each(["", "_app", "dev1 app", "dev1/app"])("rejects %j", (ns) => {
    expect(() => checkNamespace(ns)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});

describe("abortError", () => {
  it("is TIMEOUT when the deadline passed", async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(abortError(signal, { stack: "s" })).toMatchObject({ code: "TIMEOUT", place: { stack: "s" } });
  });
  it("is CANCELLED when the command was cancelled", () => {
    const c = new AbortController();
    c.abort();
    expect(abortError(c.signal, { stack: "s" })).toMatchObject({ code: "CANCELLED" });
  });
});
