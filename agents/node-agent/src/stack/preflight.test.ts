import { describe, expect, it } from "vitest";
import { abortError } from "./abort";
import type { Engine } from "./engine";
import { checkNamespace, readAsManager } from "./preflight";

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

describe("readAsManager", () => {
  // Only info() is reached: the reads are handed in.
  const engineWith = (swarm: { LocalNodeState?: string; ControlAvailable?: boolean }) => {
    const engine = {
      infoCalls: 0,
      async info() {
        engine.infoCalls++;
        return { Swarm: swarm };
      },
    };
    return engine;
  };
  const place = { stack: "dev1_app" };
  const notManager = new Error("This node is not a swarm manager.");

  it.each([
    {
      name: "reads that succeed need no check",
      swarm: { LocalNodeState: "active", ControlAvailable: true },
      reads: () => Promise.resolve("state"),
      infoCalls: 0,
      outcome: { value: "state" },
    },
    {
      name: "a worker's failed reads are its NO_MANAGER error",
      swarm: { LocalNodeState: "active", ControlAvailable: false },
      reads: () => Promise.reject(notManager),
      infoCalls: 1,
      outcome: { noManager: /swarm worker/ },
    },
    {
      name: "a node in no swarm says its swarm state",
      swarm: { LocalNodeState: "inactive" },
      reads: () => Promise.reject(notManager),
      infoCalls: 1,
      outcome: { noManager: /not in a swarm \(swarm state: inactive\)/ },
    },
    {
      name: "a manager's failed reads keep their own error for the caller",
      swarm: { LocalNodeState: "active", ControlAvailable: true },
      reads: () => Promise.reject(new Error("rpc error: context deadline exceeded")),
      infoCalls: 1,
      outcome: { readError: /context deadline exceeded/ },
    },
  ])("$name", async ({ swarm, reads, infoCalls, outcome }) => {
    const engine = engineWith(swarm);
    const checked = readAsManager(engine as unknown as Engine, place, reads());
    if (outcome.noManager) {
      await expect(checked).rejects.toMatchObject({
        code: "NO_MANAGER",
        message: expect.stringMatching(outcome.noManager),
      });
    } else if (outcome.readError) {
      await expect((await checked).reads).rejects.toThrow(outcome.readError);
    } else {
      await expect((await checked).reads).resolves.toBe(outcome.value);
    }
    expect(engine.infoCalls).toBe(infoCalls);
  });
});
