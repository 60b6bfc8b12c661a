import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { afterAll, describe, expect, it } from "vitest";
import { updateAgents, updateTargets } from "./agent-updates";
import { createLogger } from "./logger";
import type { AgentRecord, Registry } from "./registry";
import { createWriteLock } from "./write-lock";

const agent = (name: string, agentVersion: string, online = true, vmid?: number): AgentRecord =>
  ({
    agentId: `id-${name}`,
    guest: name,
    name,
    hostname: `${name}.lan`,
    vmid,
    agentVersion,
    online,
  }) as AgentRecord;

const fleet = [
  agent("web", "0.1.0"),
  agent("db", "0.0.9", true, 1002),
  agent("gpu", "0.0.8"),
  agent("old-offline", "0.0.1", false),
];
const names = (r: { targets: AgentRecord[] }) => r.targets.map((a) => a.name);
/** The registry's lookup over the fleet: guest name, agent id or hostname. */
const get = (key: string) => fleet.find((a) => a.name === key || a.agentId === key || a.hostname === key);

describe("updateTargets", () => {
  it("with no names: every online agent of another version, by name; the others counted as current", () => {
    const r = updateTargets(fleet, [], "0.1.0", get);
    expect([names(r), r.current]).toEqual([["db", "gpu"], 1]);
  });

  it.each([
    [["gpu"], ["gpu"]],
    [
      ["1002", "gpu.lan"],
      ["db", "gpu"],
    ],
    [["id-web", "web"], ["web"]],
    [["old-offline"], ["old-offline"]],
  ])("named %j: those agents, whatever their version or state (%j)", (named, want) => {
    expect(names(updateTargets(fleet, named, "0.1.0", get))).toEqual(want);
  });

  it("names every unknown agent in one error, with the agents there are", () => {
    expect(() => updateTargets(fleet, ["nope", "db", "x"], "0.1.0", get)).toThrow(
      "no agent is called nope, x (agents: db, gpu, old-offline, web)",
    );
  });
});

describe("updateAgents (a registry of scripted agents)", () => {
  const dir = mkdtempSync(join(tmpdir(), "phoenix-updates-"));
  const bundle = join(dir, "phoenix-agent.mjs");
  writeFileSync(bundle, 'if (process.argv.includes("--version")) console.log("0.2.0");\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Agents that answer the command as `answers` says, and come back (or not) as `back` says. */
  function registry(
    answers: Record<string, "restart" | "same" | "refuse">,
    back: Record<string, string | undefined>,
  ) {
    const records = new Map(
      Object.keys(answers).map((name) => [
        `id-${name}`,
        { ...agent(name, "0.1.0"), sessionId: "s1" } as AgentRecord & { sessionId: string },
      ]),
    );
    const sent: string[] = [];
    const reg = {
      list: () => [...records.values()],
      get: (id: string) => records.get(id),
      async send(id: string, kind: { case: string; value: { version: string; sha256: string } }) {
        const a = records.get(id)!;
        sent.push(`${a.name} ${kind.case} ${kind.value.version} ${kind.value.sha256.length}`);
        const how = answers[a.name];
        if (how === "refuse") throw new PhoenixError(ErrorCode.INVALID_CONFIG, "not started by systemd");
        if (how === "restart" && back[a.name] !== undefined) {
          setTimeout(() => records.set(id, { ...a, sessionId: "s2", agentVersion: back[a.name]! }), 50);
        }
        return {
          result: {
            case: "agentUpdate",
            value: { restarting: how === "restart", path: "/opt/phoenix/phoenix-agent.mjs" },
          },
        };
      },
    };
    return { reg: reg as unknown as Registry, sent };
  }

  async function run(r: { reg: Registry }, named: string[] = []) {
    const events: unknown[] = [];
    const progress: string[] = [];
    let result: unknown;
    for await (const m of updateAgents(
      {
        registry: r.reg,
        agentBundle: bundle,
        emit: (data) => events.push(data),
        logger: createLogger("silent"),
        timeoutMs: 1_000,
      },
      named,
    )) {
      if (m.msg?.case === "progress") progress.push(m.msg.value);
      else result = m.msg?.value;
    }
    return {
      result: result as { version: string; agents: Record<string, unknown>[]; current: number },
      events,
      progress,
    };
  }

  it("gives each agent the bundle and its digest, and reports each one's outcome by name", async () => {
    const r = registry(
      { web: "restart", db: "same", gpu: "refuse", lost: "restart", odd: "restart" },
      { web: "0.2.0", odd: "0.1.5" },
    );
    const { result, events, progress } = await run(r);
    expect(r.sent.sort()).toEqual(
      ["db", "gpu", "lost", "odd", "web"].map((n) => `${n} agentUpdate 0.2.0 64`),
    );
    expect(result.version).toBe("0.2.0");
    expect(
      result.agents.map((a) => [
        a.guest,
        a.toVersion ?? "-",
        (a.error as { code?: string } | undefined)?.code ?? "ok",
      ]),
    ).toEqual([
      ["db", "0.2.0", "ok"],
      ["gpu", "-", "INVALID_CONFIG"],
      ["lost", "-", "TIMEOUT"],
      ["odd", "-", "INTERNAL"],
      ["web", "0.2.0", "ok"],
    ]);
    const message = (g: string) =>
      (result.agents.find((a) => a.guest === g)!.error as { message: string }).message;
    expect(message("lost")).toBe(
      "it replaced its bundle but was not back within 1 s (its unit restarts it: journalctl -u phoenix-agent)",
    );
    expect(message("odd")).toMatch(/^it came back running 0\.1\.5, not 0\.2\.0/);
    // Only the agent that came back with the bundle's version is an agent.updated event.
    expect(events).toEqual([
      { case: "agentUpdated", value: { guest: "web", fromVersion: "0.1.0", toVersion: "0.2.0" } },
    ]);
    expect(progress).toContain("db: already runs this bundle");
    expect(progress).toContain("gpu: not updated: not started by systemd");
  });

  it("waits for the write lock (a sync under way) before sending anything, and holds it", async () => {
    const r = registry({ web: "restart" }, { web: "0.2.0" });
    const lock = createWriteLock();
    let release = () => {};
    const sync = lock.run("sync", () => new Promise<void>((done) => (release = done)));
    const progress: string[] = [];
    const stream = updateAgents(
      {
        registry: r.reg,
        agentBundle: bundle,
        emit: () => {},
        logger: createLogger("silent"),
        lock,
        timeoutMs: 1_000,
      },
      [],
    );
    const first = await stream.next();
    progress.push((first.value as { msg: { value: string } }).msg.value);
    await new Promise((done) => setTimeout(done, 100));
    expect([progress, r.sent]).toEqual([["waiting for sync to finish"], []]);
    release();
    await sync;
    const sending = await stream.next();
    expect((sending.value as { msg: { value: string } }).msg.value).toBe(
      "web: sending the 0.2.0 bundle (runs 0.1.0)",
    );
    expect(lock.holder).toBe("agents update");
    for await (const m of stream) if (m.msg?.case === "progress") progress.push(m.msg.value);
    expect(r.sent).toEqual(["web agentUpdate 0.2.0 64"]);
    expect(lock.holder).toBeUndefined();
  });

  it("with every online agent at the bundle's version, sends nothing", async () => {
    const r = registry({ web: "restart" }, {});
    (r.reg.list()[0] as { agentVersion: string }).agentVersion = "0.2.0";
    const { result, progress } = await run(r);
    expect([result.agents, result.current, r.sent]).toEqual([[], 1, []]);
    expect(progress).toEqual([]);
  });

  it("names a missing bundle in one error", async () => {
    const r = registry({ web: "restart" }, {});
    const it = updateAgents(
      { registry: r.reg, agentBundle: join(dir, "nope.mjs"), emit: () => {}, logger: createLogger("silent") },
      [],
    );
    await expect(it.next()).rejects.toThrow(
      /^no agent bundle to give the agents: .*nope\.mjs \(ENOENT\); build it/,
    );
  });
});
