import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, CommandSchema, create, InventorySchema, timestampFromMs } from "@phoenix/proto";
import { afterAll, describe, expect, it } from "vitest";
import { createDockerProvider } from "../docker";
import { createExecutor } from "../executor";
import { createLogger } from "../logger";
import { AGENT_VERSION } from "../version";
import type { SelfUpdate } from "./agent-update";

// AgentUpdateCommand through the executor, on real files: stand-in bundles (ES modules that answer
// --version like the real one) run by this node.
const dir = mkdtempSync(join(tmpdir(), "phoenix-agent-update-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const standIn = (version: string) =>
  `import { argv } from "node:process";\nif (argv.includes("--version")) console.log(${JSON.stringify(version)});\n`;
const OLD = standIn(AGENT_VERSION);
const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

let n = 0;
/** An installed agent: its bundle in a directory of its own, and how many times it restarted. */
function installed(over: Partial<SelfUpdate> = {}) {
  const home = join(dir, `opt-${++n}`);
  mkdirSync(home);
  const bundlePath = join(home, "phoenix-agent.mjs");
  writeFileSync(bundlePath, OLD);
  let restarts = 0;
  const lines: string[] = [];
  /** While set, a refreshInventory command runs until it settles. */
  let hold: Promise<void> | undefined;
  const self: SelfUpdate = {
    bundlePath,
    node: process.execPath,
    restart: () => restarts++,
    ...over,
  };
  const executor = createExecutor({
    docker: createDockerProvider(join(dir, "no-docker.sock")),
    refreshInventory: async () => {
      await hold;
      return create(InventorySchema, {});
    },
    log: createLogger("debug", { write: (s: string) => lines.push(s) }),
    stateDir: home,
    selfUpdate: self,
  });
  const update = async (bundle: string, o: { sha256?: string; version?: string; key?: string } = {}) => {
    const bytes = new TextEncoder().encode(bundle);
    const cmd: Command = create(CommandSchema, {
      id: `u${++n}`,
      idempotencyKey: o.key ?? `k${n}`,
      deadline: timestampFromMs(Date.now() + 20_000),
      kind: {
        case: "agentUpdate",
        value: { bundle: bytes, sha256: o.sha256 ?? sha(bytes), version: o.version ?? "9.9.9" },
      },
    });
    const result = await executor.execute(cmd, () => {});
    // The restart comes after the result is handed back, once no other command runs.
    await new Promise((r) => setTimeout(r, 250));
    return result;
  };
  /** Starts a command that runs until the returned function is called. */
  const busy = () => {
    let release = () => {};
    hold = new Promise<void>((r) => {
      release = r;
    });
    const done = executor.execute(
      create(CommandSchema, {
        id: `r${++n}`,
        idempotencyKey: `r${n}`,
        kind: { case: "refreshInventory", value: {} },
      }),
      () => {},
    );
    return async () => {
      release();
      await done;
    };
  };
  return {
    home,
    busy,
    bundle: () => readFileSync(bundlePath, "utf8"),
    restarts: () => restarts,
    update,
    lines,
  };
}

describe("AgentUpdateCommand", () => {
  it("replaces the bundle with one that says the expected version, then restarts once", async () => {
    const a = installed();
    const r = await a.update(standIn("9.9.9"), { key: "same" });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({
      case: "agentUpdate",
      value: expect.objectContaining({
        fromVersion: AGENT_VERSION,
        toVersion: "9.9.9",
        path: join(a.home, "phoenix-agent.mjs"),
        restarting: true,
      }),
    });
    expect(a.bundle()).toBe(standIn("9.9.9"));
    expect(a.restarts()).toBe(1);
    // Nothing staged is left beside it.
    expect(readdirSync(a.home).filter((f) => f.startsWith(".phoenix-agent.update-"))).toEqual([]);
    // The same command again (a retry after the restart) gets the first result and restarts nothing.
    const again = await a.update(standIn("9.9.9"), { key: "same" });
    expect([again.replayed, a.restarts()]).toEqual([true, 1]);
  });

  it("restarts into a bundle already in the file that the process does not run yet, or refuses unsupervised", async () => {
    // The file was replaced (by hand, or an install that did not restart), the process runs the old code.
    const a = installed();
    writeFileSync(join(a.home, "phoenix-agent.mjs"), standIn("9.9.9"));
    const r = await a.update(standIn("9.9.9"));
    expect(r.result.value).toEqual(
      expect.objectContaining({ fromVersion: AGENT_VERSION, toVersion: "9.9.9", restarting: true }),
    );
    expect(a.restarts()).toBe(1);
    const b = installed({ unsupervised: "this agent was not started by systemd (no INVOCATION_ID)" });
    writeFileSync(join(b.home, "phoenix-agent.mjs"), standIn("9.9.9"));
    expect((await b.update(standIn("9.9.9"))).error?.code).toBe("INVALID_CONFIG");
    expect(b.restarts()).toBe(0);
  });

  it("restarts only once the other commands running have ended", async () => {
    const a = installed();
    const finish = a.busy();
    const r = await a.update(standIn("9.9.9"));
    expect(r.result.value).toEqual(expect.objectContaining({ restarting: true }));
    await new Promise((done) => setTimeout(done, 300));
    expect(a.restarts()).toBe(0);
    expect(a.lines.join("")).toContain("restart waits for running commands");
    await finish();
    await new Promise((done) => setTimeout(done, 250));
    expect(a.restarts()).toBe(1);
  });

  it("changes nothing and does not restart when the bundle is the one it runs", async () => {
    const a = installed();
    const r = await a.update(OLD, { version: AGENT_VERSION });
    expect(r.result.value).toEqual(expect.objectContaining({ restarting: false, toVersion: AGENT_VERSION }));
    expect(a.restarts()).toBe(0);
  });

  it.each([
    [
      "a digest that does not match",
      { sha256: "0".repeat(64) },
      standIn("9.9.9"),
      /^INVALID_ARGUMENT: the bundle sent \(\d+ bytes\) does not match its SHA-256 0{64}/,
    ],
    [
      "a bundle that says another version",
      {},
      standIn("9.9.8"),
      /^INVALID_ARGUMENT: the new bundle says it is "9\.9\.8", not 9\.9\.9: kept /,
    ],
    [
      "a bundle that does not run",
      {},
      "import nope from 'no-such-module';\n",
      /^INVALID_ARGUMENT: the new bundle does not run here: .*no-such-module/,
    ],
  ])("refuses %s, keeps the running bundle and does not restart", async (_what, o, bundle, message) => {
    const a = installed();
    const r = await a.update(bundle, o);
    expect(`${r.error?.code}: ${r.error?.message}`).toMatch(message);
    expect(r.error?.place?.command).toBe("agent_update");
    expect(a.bundle()).toBe(OLD);
    expect(a.restarts()).toBe(0);
    expect(readdirSync(a.home).filter((f) => f.startsWith(".phoenix-agent.update-"))).toEqual([]);
  });

  it("refuses when nothing would start it again (not under systemd), before writing anything", async () => {
    const a = installed({ unsupervised: "this agent was not started by systemd (no INVOCATION_ID)" });
    const r = await a.update(standIn("9.9.9"));
    expect(`${r.error?.code}: ${r.error?.message}`).toBe(
      "INVALID_CONFIG: this agent was not started by systemd (no INVOCATION_ID): it could not start again after replacing its bundle; update it with the install script",
    );
    expect([a.bundle(), a.restarts()]).toEqual([OLD, 0]);
  });

  it("refuses in an agent that does not run from a bundle", async () => {
    const executor = createExecutor({
      docker: createDockerProvider(join(dir, "no-docker.sock")),
      refreshInventory: async () => create(InventorySchema, {}),
      log: createLogger("silent"),
    });
    const bytes = new TextEncoder().encode(standIn("9.9.9"));
    const r = await executor.execute(
      create(CommandSchema, {
        id: "x",
        kind: { case: "agentUpdate", value: { bundle: bytes, sha256: sha(bytes), version: "9.9.9" } },
      }),
      () => {},
    );
    expect(r.error?.code).toBe("INVALID_CONFIG");
    expect(r.error?.message).toMatch(/does not run from a bundle file/);
  });
});

describe("selfUpdate (how phoenix-agent run updates itself)", () => {
  const restart = () => {};
  it.each([
    ["the bundle, under systemd", "/opt/phoenix/phoenix-agent.mjs", { INVOCATION_ID: "5c1e" }, undefined],
    [
      "the bundle, started by hand",
      "/opt/phoenix/phoenix-agent.mjs",
      {},
      "this agent was not started by systemd (no INVOCATION_ID)",
    ],
  ])("%s", async (_what, script, env, unsupervised) => {
    const { selfUpdate } = await import("../run-command");
    const self = selfUpdate(script, env, restart);
    expect(self?.bundlePath).toBe(script);
    expect(self?.node).toBe(process.execPath);
    expect(self?.unsupervised).toBe(unsupervised);
  });

  it("is undefined for an agent run from its sources (tsx cli.ts)", async () => {
    const { selfUpdate } = await import("../run-command");
    expect(selfUpdate("/work/agents/node-agent/src/cli.ts", { INVOCATION_ID: "x" }, restart)).toBeUndefined();
    expect(selfUpdate(undefined, {}, restart)).toBeUndefined();
  });
});
