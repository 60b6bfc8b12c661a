import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CoordinatorState, openStateStore, STATE_FILE, STATE_HISTORY_LIMIT } from "./state-store";

const CHILD = fileURLToPath(new URL("./state-writer-child.ts", import.meta.url));
const REPO = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "phoenix-state-"));
  dir = join(root, "var", "lib", "phoenix");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const at = "2030-05-01T10:00:00.000Z";
const readJson = async () => JSON.parse(await readFile(join(dir, STATE_FILE), "utf8")) as CoordinatorState;
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as PhoenixError,
  );

describe("openStateStore", () => {
  it("creates the directory (0700) and an empty state file (0600)", async () => {
    const store = await openStateStore(dir);
    expect(store.dir).toBe(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, STATE_FILE))).mode & 0o777).toBe(0o600);
    expect(store.get()).toEqual({ version: 1, adopted: {}, environments: {}, history: [] });
    expect(await readJson()).toEqual(store.get());
  });

  it("round-trips everything across a reopen", async () => {
    const store = await openStateStore(dir);
    await store.update((d) => {
      d.adopted["agent-7f3"] = { name: "gpu-2", vmid: 951, hostname: "gpu-2", adoptedAt: at };
      d.environments.dev1_qdrant_service = {
        stack: "qdrant_service",
        env: "dev1",
        namespace: "dev1_qdrant_service",
        deployedAt: at,
        specHash: "sha256:ab12",
        status: "deployed",
        services: ["qdrant"],
        fingerprints: { dev1_qdrant_service_qdrant: "5f0c8d2e" },
        source: "deploy",
      };
      d.history.push({
        at,
        action: "deploy",
        stack: "qdrant_service",
        env: "dev1",
        ok: true,
        dockerWrites: 4,
      });
      d.history.push({
        at,
        action: "remove",
        stack: "portainer",
        env: "test",
        ok: false,
        error: "no manager",
      });
      d.lastSync = at;
    });
    const reopened = await openStateStore(dir);
    expect(reopened.get()).toEqual(store.get());
    expect(reopened.get().adopted["agent-7f3"]?.vmid).toBe(951);
    expect(reopened.get().history.map((h) => h.action)).toEqual(["deploy", "remove"]);
    expect(reopened.get().environments.dev1_qdrant_service?.fingerprints).toEqual({
      dev1_qdrant_service_qdrant: "5f0c8d2e",
    });
  });

  it.each([
    ["not JSON", '{"version": 1, "adopted": {', /corrupt \(not JSON: /],
    ["not an object", "[]", /corrupt \(not a JSON object\)/],
    ["another version", '{"version": 2}', /unsupported version 2, expected 1/],
    [
      "invalid values",
      JSON.stringify({
        version: 1,
        adopted: { "agent-1": { name: "a", hostname: 5, adoptedAt: at } },
        environments: {
          dev1_web: {
            stack: "web",
            env: "dev1",
            namespace: "dev1_web",
            deployedAt: at,
            specHash: "h",
            status: "deployed",
            services: [],
            source: "someone",
          },
        },
        history: [{ at, action: "explode", ok: true }],
      }),
      /3 invalid values\)[\s\S]*state\.json at \$\.adopted\["agent-1"\]\.hostname: [\s\S]*state\.json at \$\.environments\.dev1_web\.source: [\s\S]*state\.json at \$\.history\[0\]\.action: /,
    ],
  ])(
    "refuses a corrupt file (%s) with one error naming it, and does not overwrite it",
    async (_, text, message) => {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, STATE_FILE), text);
      const err = await errorOf(openStateStore(dir));
      expect(err).toBeInstanceOf(PhoenixError);
      expect(err.code).toBe(ErrorCode.INVALID_CONFIG);
      expect(err.place.file).toBe(join(dir, STATE_FILE));
      expect(err.describe()).toMatch(message);
      expect(err.describe()).toMatch(/left as it is/);
      expect(await readFile(join(dir, STATE_FILE), "utf8")).toBe(text);
    },
  );

  const legacyEnvironment = (stack: string, source?: "model" | "deploy") => ({
    stack,
    env: "dev1",
    namespace: `dev1_${stack}`,
    deployedAt: at,
    specHash: "h",
    status: "deployed",
    services: [],
    ...(source ? { source } : {}),
  });

  it.each<[string, ((e: { stack: string; env: string }) => "model" | "deploy") | undefined, object]>([
    ["none: every one is kept", undefined, { dev1_web: "deploy", dev1_api: "deploy", dev1_db: "model" }],
    [
      "the model's: what it declares is its own",
      (e) => (e.stack === "web" ? "model" : "deploy"),
      { dev1_web: "model", dev1_api: "deploy", dev1_db: "model" },
    ],
  ])(
    "gives environments a state file recorded without a source one (legacy source %s) and writes it back",
    async (_, legacySource, expected) => {
      await mkdir(dir, { recursive: true });
      const legacy = {
        version: 1,
        adopted: {},
        environments: {
          dev1_web: legacyEnvironment("web"),
          dev1_api: legacyEnvironment("api"),
          dev1_db: legacyEnvironment("db", "model"),
        },
        history: [],
      };
      await writeFile(join(dir, STATE_FILE), JSON.stringify(legacy));
      const store = await openStateStore(dir, legacySource ? { legacySource } : {});
      const sources = (s: CoordinatorState) =>
        Object.fromEntries(Object.entries(s.environments).map(([ns, e]) => [ns, e.source]));
      expect(sources(store.get())).toEqual(expected);
      expect(sources(await readJson())).toEqual(expected);
      expect(store.get().environments.dev1_web).toMatchObject({ stack: "web", specHash: "h", services: [] });
    },
  );

  it("ignores and removes a torn temp file left by an interrupted write", async () => {
    const store = await openStateStore(dir);
    await store.update((d) => {
      d.lastSync = at;
    });
    const torn = join(dir, `.${STATE_FILE}.0a1b2c3d4e5f.tmp`);
    await writeFile(torn, '{"version": 1, "adopted": {"agent-9": {"na');
    const reopened = await openStateStore(dir);
    expect(reopened.get().lastSync).toBe(at);
    expect(await readdir(dir)).toEqual([STATE_FILE]);
  });

  it("refuses a state directory it cannot create", async () => {
    await writeFile(join(root, "file"), "");
    const err = await errorOf(openStateStore(join(root, "file", "state")));
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err.describe()).toMatch(/file\/state: cannot use the state directory/);
  });
});

describe("update", () => {
  it("runs concurrent updates one at a time, in call order, each on the result of the previous", async () => {
    const store = await openStateStore(dir);
    const updates = Array.from({ length: 40 }, (_, i) =>
      store.update((d) => {
        if (i === 17) throw new Error("this one fails");
        d.history.push({ at, action: "sync", ok: true, dockerWrites: d.history.length });
      }),
    );
    const results = await Promise.allSettled(updates);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    expect((results[17] as PromiseRejectedResult).reason).toBeInstanceOf(PhoenixError);
    expect(store.get().history.map((h) => h.dockerWrites)).toEqual(Array.from({ length: 39 }, (_, i) => i));
    expect(await readJson()).toEqual(store.get());
  });

  it("keeps the last written state visible (and frozen) while an update is pending", async () => {
    const store = await openStateStore(dir);
    const before = store.get();
    const pending = store.update((d) => {
      d.lastSync = at;
    });
    expect(store.get()).toBe(before);
    await pending;
    expect(store.get().lastSync).toBe(at);
    expect(before.lastSync).toBeUndefined();
    expect(() => {
      (store.get() as CoordinatorState).lastSync = "x";
    }).toThrow(TypeError);
    expect(() => {
      (store.get().history as CoordinatorState["history"]).push({ at, action: "sync", ok: true });
    }).toThrow(TypeError);
  });

  it(`keeps the newest ${STATE_HISTORY_LIMIT} history entries`, async () => {
    const store = await openStateStore(dir);
    await store.update((d) => {
      for (let i = 0; i < STATE_HISTORY_LIMIT - 5; i++)
        d.history.push({ at, action: "sync", ok: true, dockerWrites: i });
    });
    await store.update((d) => {
      for (let i = STATE_HISTORY_LIMIT - 5; i < STATE_HISTORY_LIMIT + 20; i++) {
        d.history.push({ at, action: "sync", ok: true, dockerWrites: i });
      }
    });
    const h = (await readJson()).history;
    expect(h).toHaveLength(STATE_HISTORY_LIMIT);
    expect([h[0]?.dockerWrites, h.at(-1)?.dockerWrites]).toEqual([20, STATE_HISTORY_LIMIT + 19]);
  });

  it.each([
    [
      "an invalid state",
      (d: CoordinatorState) => {
        d.environments.x = {
          stack: "",
          env: "e",
          namespace: "x",
          deployedAt: "yesterday",
          specHash: "",
          status: "deployed",
          services: [],
          source: "model",
        };
      },
      /refusing to write an invalid coordinator state[\s\S]*\$\.environments\.x\.stack[\s\S]*\$\.environments\.x\.deployedAt/,
    ],
    [
      "an asynchronous change",
      async (d: CoordinatorState) => {
        d.lastSync = at;
      },
      /must change the draft synchronously/,
    ],
  ])("refuses %s and leaves state and file as they were", async (_, mutate, message) => {
    const store = await openStateStore(dir);
    const text = await readFile(join(dir, STATE_FILE), "utf8");
    const err = await errorOf(store.update(mutate));
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err.describe()).toMatch(message);
    expect(store.get()).toEqual({ version: 1, adopted: {}, environments: {}, history: [] });
    expect(await readFile(join(dir, STATE_FILE), "utf8")).toBe(text);
  });
});

/** Runs the writer child under the repo's tsx; resolves with its stdout lines. */
function runChild(args: string[], opts: { prefix?: string[]; killAfterLines?: number } = {}) {
  const [cmd, ...rest] = [...(opts.prefix ?? []), process.execPath, "--import", "tsx", CHILD, ...args];
  const child = spawn(cmd!, rest, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  let buf = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise<{ lines: string[]; signal: NodeJS.Signals | null }>((resolveRun, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`state writer child did not finish in time\n${stderr}`));
    }, 15_000);
    child.stdout.on("data", (c: Buffer) => {
      buf += c.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
      if (opts.killAfterLines && lines.length >= opts.killAfterLines) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== "SIGKILL") reject(new Error(`child exited ${code}\n${stderr}`));
      else resolveRun({ lines, signal });
    });
  });
}

describe("crash safety (real processes)", () => {
  it("a writer killed (SIGKILL) in the middle of its updates leaves a whole state file", async () => {
    const { lines, signal } = await runChild([dir, "loop"], { killAfterLines: 25 });
    expect(signal).toBe("SIGKILL");
    const written = JSON.parse(lines.at(-1)!) as { written: number };
    const store = await openStateStore(dir);
    const n = store.get().history.length;
    // Every update it reported is there; at most the one in progress when it died went further.
    expect(n).toBeGreaterThanOrEqual(written.written);
    expect(n).toBeLessThanOrEqual(written.written + 1);
    expect(store.get().history.at(-1)?.dockerWrites).toBe(n);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a write that fails (file size limit) rejects, keeps the previous file and leaves no temp file", async () => {
    const { lines } = await runChild([dir, "too-big"], { prefix: ["prlimit", "--fsize=16384"] });
    const out = JSON.parse(lines[0]!) as {
      rejected: { code: string; text: string };
      environments: string[];
      lastSync: string;
    };
    expect(out.rejected.code).toBe(ErrorCode.INTERNAL);
    expect(out.rejected.text).toMatch(/state\.json: cannot write the coordinator state: EFBIG/);
    expect(out.environments).toEqual([]);
    const onDisk = await readJson();
    expect(onDisk.lastSync).toBe("2030-01-01T00:00:00.000Z");
    expect(onDisk.environments).toEqual({});
    expect(await readdir(dir)).toEqual([STATE_FILE]);
  });
});
