import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDeployJournal, setEnvironmentSource } from "./deploy-journal";
import { type EnvironmentRecord, openStateStore, type StateStore } from "./state-store";

let dir: string;
let store: StateStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "phoenix-journal-"));
  store = await openStateStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (status: "deployed" | "failed", specHash = "h1"): EnvironmentRecord => ({
  stack: "web",
  env: "dev1",
  namespace: "dev1_web",
  deployedAt: "2030-05-01T10:00:00.000Z",
  specHash,
  status,
  services: ["dev1_web_web"],
});

describe("deploy journal", () => {
  it.each<[string, EnvironmentRecord | undefined, Record<string, string> | undefined]>([
    [
      "keeps fingerprints a check reported for a deployment recorded without them",
      record("deployed"),
      { dev1_web_web: "f2" },
    ],
    [
      "keeps the ones a deploy recorded",
      { ...record("deployed"), fingerprints: { dev1_web_web: "f1" } },
      { dev1_web_web: "f1" },
    ],
    ["records none for a failed deploy", record("failed"), undefined],
    ["records nothing for an environment it does not know", undefined, undefined],
  ])("%s", async (_name, before, want) => {
    const journal = createDeployJournal(store);
    if (before) await journal.deployed(before, {});
    const writes = store.get();
    await journal.adoptFingerprints("dev1_web", { dev1_web_web: "f2" });
    expect(journal.fingerprints("dev1_web")).toEqual(want);
    // Nothing to keep: the state was not written again.
    if (want?.dev1_web_web !== "f2") expect(store.get()).toBe(writes);
  });

  it("records a new environment as an operator's until told otherwise, with a history entry", async () => {
    await createDeployJournal(store).deployed(record("deployed"), { dockerWrites: 3 });
    expect(store.get().environments.dev1_web).toEqual({ ...record("deployed"), source: "deploy" });
    expect(store.get().history).toEqual([
      {
        at: "2030-05-01T10:00:00.000Z",
        action: "deploy",
        stack: "web",
        env: "dev1",
        ok: true,
        dockerWrites: 3,
      },
    ]);
  });

  it.each(["model", "deploy"] as const)("keeps the source (%s) across later deploys", async (source) => {
    const journal = createDeployJournal(store);
    await journal.deployed(record("deployed"), {});
    await setEnvironmentSource(store, "dev1_web", source);
    await journal.deployed(record("failed", "h2"), { error: "tasks did not run" });
    expect(store.get().environments.dev1_web).toMatchObject({ specHash: "h2", status: "failed", source });
    expect(store.get().history.map((h) => [h.ok, h.error])).toEqual([
      [true, undefined],
      [false, "tasks did not run"],
    ]);
  });

  it("sets a source only where there is something to change", async () => {
    await setEnvironmentSource(store, "dev1_missing", "model");
    expect(store.get().environments).toEqual({});
    await createDeployJournal(store).deployed(record("deployed"), {});
    const before = store.get();
    await setEnvironmentSource(store, "dev1_web", "deploy");
    expect(store.get()).toBe(before);
    await setEnvironmentSource(store, "dev1_web", "model");
    expect(store.get().environments.dev1_web?.source).toBe("model");
  });

  it("forgets a removed environment and records the removal", async () => {
    const journal = createDeployJournal(store);
    await journal.deployed(record("deployed"), {});
    await journal.removed("web", "dev1", "dev1_web");
    expect(store.get().environments).toEqual({});
    expect(store.get().history.map((h) => [h.action, h.stack, h.env, h.ok])).toEqual([
      ["deploy", "web", "dev1", true],
      ["remove", "web", "dev1", true],
    ]);
  });
});
