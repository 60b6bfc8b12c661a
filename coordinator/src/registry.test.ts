import { getEventListeners } from "node:events";
import { Writable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { AgentService, addService, GoodbyeReason, serverCredentials } from "@phoenix/proto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "./logger";
import { type AgentRecord, createRegistry, peerIp, type Registry, type RegistryOptions } from "./registry";
import { Secret } from "./secret";
import { type ScriptedAgentOptions, startScriptedAgent } from "./test-support/scripted-agent";

const TOKEN = "enroll-0123456789abcdef";

interface Harness {
  registry: Registry;
  address: string;
  logs: string[];
  events: string[];
  agent(o: Partial<ScriptedAgentOptions> & { agentId: string }): ReturnType<typeof startScriptedAgent>;
  stop(): Promise<void>;
}

const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.stop();
});

async function harness(over: Partial<RegistryOptions> = {}): Promise<Harness> {
  const logs: string[] = [];
  const events: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const registry = createRegistry({
    enrollmentToken: new Secret(TOKEN),
    heartbeatIntervalMs: 100,
    heartbeatTtlMs: 200,
    heartbeatGraceMs: 100,
    cluster: () => "lab",
    match: (_agentId, inv) => {
      const vmid = inv.host?.vmid;
      if (vmid === 1001) return { guest: "manager-1", vmid, inModel: true, adopted: false };
      return { guest: "", inModel: false, adopted: false };
    },
    logger: createLogger("debug", sink),
    hooks: {
      connected: (a, how) =>
        events.push(`connected ${a.name}${how.replaced ? " replaced" : ""}${how.resumed ? " resumed" : ""}`),
      disconnected: (a) => events.push(`disconnected ${a.name}`),
      offline: (a) => events.push(`offline ${a.name}`),
      inventoryChanged: (a, changed) => events.push(`inventory ${a.name} ${changed.join(",")}`),
      dockerChanged: (a) => events.push(`docker ${a.name} ${a.docker?.nodeId}`),
    },
    ...over,
  });
  const server = new grpc.Server();
  addService(server, AgentService, { session: (call) => registry.session(call) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", serverCredentials(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;
  const agents: ReturnType<typeof startScriptedAgent>[] = [];
  const h: Harness = {
    registry,
    address,
    logs,
    events,
    agent: (o) => {
      const a = startScriptedAgent(address, { token: TOKEN, ...o });
      agents.push(a);
      return a;
    },
    stop: async () => {
      await registry.close();
      for (const a of agents) a.close();
      server.forceShutdown();
    },
  };
  running.push(h);
  return h;
}

describe("registry sessions over gRPC", () => {
  it("welcomes an agent with the heartbeat interval, TTL and its model guest", async () => {
    const h = await harness();
    const a = h.agent({ agentId: "m-1", inventory: { host: { hostname: "pve-1001", vmid: 1001 } } });
    const w = await a.welcome;
    expect(w.guest).toBe("manager-1");
    expect(w.cluster).toBe("lab");
    expect(Number(w.heartbeatInterval?.nanos) / 1e6).toBe(100);
    expect(Number(w.heartbeatTtl?.nanos) / 1e6).toBe(200);
    const rec = h.registry.get("manager-1")!;
    expect([rec.online, rec.inModel, rec.hostname, rec.peerAddress]).toEqual([
      true,
      true,
      "pve-1001",
      "127.0.0.1",
    ]);
    expect(h.registry.get("m-1")).toBe(rec);
    expect(h.registry.get("pve-1001")).toBe(rec);
    expect(h.events).toEqual(["connected manager-1"]);
  });

  it("an agent outside the model is known by its hostname with an empty guest", async () => {
    const h = await harness();
    const w = await h.agent({ agentId: "m-9", inventory: { host: { hostname: "stray" } } }).welcome;
    expect(w.guest).toBe("");
    expect(h.registry.get("stray")?.inModel).toBe(false);
  });

  it("refuses a wrong enrollment token with UNAUTHENTICATED and never logs the token", async () => {
    const h = await harness();
    const wrong = "wrong-token-SHOULD-NOT-APPEAR";
    const a = h.agent({ agentId: "m-2", token: wrong });
    const err = await a.ended;
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err!.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(err!.message).toMatch(/enrollment token refused/);
    await expect(a.welcome).rejects.toThrow(/enrollment token refused/);
    const all = h.logs.join("");
    expect(all).toMatch(/wrong enrollment token/);
    expect(all).not.toContain(wrong);
    expect(all).not.toContain(TOKEN);
    expect(h.registry.list()).toEqual([]);
  });

  it("ends a session whose first message is not Hello with Goodbye PROTOCOL", async () => {
    const h = await harness();
    const a = h.agent({ agentId: "m-3", hello: false });
    a.send({ case: "heartbeat", value: { seq: 1n } });
    expect(await a.ended).toBeUndefined();
    expect(a.goodbyes.map((g) => g.reason)).toEqual([GoodbyeReason.PROTOCOL]);
  });

  it("sends a command and resolves with the agent's result; an error result rejects with its code and node", async () => {
    const h = await harness();
    const a = h.agent({
      agentId: "m-1",
      inventory: { host: { hostname: "pve-1001", vmid: 1001 } },
      handle: (cmd) => {
        if (cmd.kind.case === "ping")
          return { result: { case: "ping", value: { payload: cmd.kind.value.payload } } };
        if (cmd.kind.case === "joinTokens")
          return { error: { code: "NO_MANAGER", message: "this node is not a manager" } };
        return undefined;
      },
    });
    await a.welcome;
    const res = await h.registry.send(
      "manager-1",
      { case: "ping", value: { payload: new Uint8Array([7]) } },
      {
        idempotencyKey: "ping-1",
      },
    );
    expect(res.result.case).toBe("ping");
    expect(a.commands[0]!.idempotencyKey).toBe("ping-1");
    const err = await h.registry.send("manager-1", { case: "joinTokens", value: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(PhoenixError);
    expect([err.code, err.message, err.place.node, err.place.command]).toEqual([
      "NO_MANAGER",
      "this node is not a manager",
      "manager-1",
      "joinTokens",
    ]);
  });

  it("streams progress to the caller", async () => {
    const h = await harness();
    const a = h.agent({
      agentId: "m-1",
      inventory: { host: { hostname: "h", vmid: 1001 } },
      handle: (cmd, self) => {
        self.send({ case: "commandProgress", value: { commandId: cmd.id, message: "1/2 running" } });
        self.send({ case: "commandProgress", value: { commandId: cmd.id, message: "2/2 running" } });
        return { result: { case: "stackApply", value: { dockerWrites: 3 } } };
      },
    });
    await a.welcome;
    const lines: string[] = [];
    const res = await h.registry.send(
      "manager-1",
      { case: "stackApply", value: { namespace: "dev1_x" } },
      { onProgress: (p) => lines.push(p.message) },
    );
    expect(lines).toEqual(["1/2 running", "2/2 running"]);
    expect(res.result.case === "stackApply" && res.result.value.dockerWrites).toBe(3);
  });

  it("rejects with AGENT_OFFLINE when no agent is connected, TIMEOUT when the agent stays silent", async () => {
    const h = await harness();
    await expect(h.registry.send("nobody", { case: "ping", value: {} })).rejects.toMatchObject({
      code: ErrorCode.AGENT_OFFLINE,
    });
    await h.agent({
      agentId: "m-1",
      inventory: { host: { hostname: "h", vmid: 1001 } },
      handle: () => undefined,
    }).welcome;
    const t0 = Date.now();
    const err = await h.registry
      .send("manager-1", { case: "swarmInspect", value: {} }, { timeoutMs: 50 })
      .catch((e) => e);
    expect(err.code).toBe(ErrorCode.TIMEOUT);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(h.registry.stats().pending).toBe(0);
  });

  it("a silent agent goes offline after TTL + grace, and online again when it speaks", async () => {
    const h = await harness();
    const a = h.agent({ agentId: "m-1", inventory: { host: { hostname: "h", vmid: 1001 } } });
    await a.welcome;
    await new Promise((r) => setTimeout(r, 600));
    expect(h.registry.get("manager-1")!.online).toBe(true);
    a.silence();
    const t0 = Date.now();
    await expect
      .poll(() => h.registry.get("manager-1")!.online, { timeout: 3_000, interval: 10 })
      .toBe(false);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(2_500);
    expect(h.events).toContain("offline manager-1");
    a.send({ case: "heartbeat", value: { seq: 99n } });
    await expect.poll(() => h.registry.get("manager-1")!.online, { timeout: 2_000 }).toBe(true);
    expect(h.events.at(-1)).toBe("connected manager-1 resumed");
  });

  it("a newer session of the same agent replaces the old one with Goodbye REPLACED", async () => {
    const h = await harness();
    const inv = { host: { hostname: "h", vmid: 1001 } };
    const first = h.agent({ agentId: "m-1", inventory: inv });
    await first.welcome;
    const second = h.agent({ agentId: "m-1", inventory: inv });
    await second.welcome;
    expect(await first.ended).toBeUndefined();
    expect(first.goodbyes.map((g) => g.reason)).toEqual([GoodbyeReason.REPLACED]);
    expect(h.registry.get("manager-1")!.online).toBe(true);
    expect(h.events).toEqual(["connected manager-1", "connected manager-1 replaced"]);
    await h.registry.send("manager-1", { case: "ping", value: {} });
    expect(second.commands).toHaveLength(1);
    expect(first.commands).toHaveLength(0);
  });

  it("names two machines that keep replacing each other's session under one agent id, once", async () => {
    const h = await harness();
    expect(h.registry.clashes()).toEqual([]);
    const gpu1 = { host: { hostname: "gpu-1", vmid: 1002 } };
    const gpu2 = { host: { hostname: "gpu-2", vmid: 1003 } };
    // A restart of one machine replaces its own session: no clash.
    await h.agent({ agentId: "m-1", inventory: gpu1 }).welcome;
    await h.agent({ agentId: "m-1", inventory: gpu1 }).welcome;
    // Its clone takes over, then the first dials again: each switch replaces the other machine.
    await h.agent({ agentId: "m-1", inventory: gpu2 }).welcome;
    expect(h.registry.clashes()).toEqual([]);
    await h.agent({ agentId: "m-1", inventory: gpu1 }).welcome;
    await h.agent({ agentId: "m-1", inventory: gpu2 }).welcome;

    const clashes = h.registry.clashes();
    expect(
      clashes.map((c) => [c.agentId, c.machines.map((m) => `${m.hostname}/${m.vmid}/${m.peer}`)]),
    ).toEqual([["m-1", ["gpu-1/1002/127.0.0.1", "gpu-2/1003/127.0.0.1"]]]);
    const warned = h.logs.filter((l) => l.includes("is presented by 2 machines"));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({ level: 40, agentId: "m-1" }); // pino: 40 is warn;
    expect(warned[0]).toContain("/etc/machine-id");
  });

  it("a command pending when the agent reconnects goes out again with the same key", async () => {
    const h = await harness({ reconnectWindowMs: 5_000 });
    const inv = { host: { hostname: "h", vmid: 1001 } };
    const first = h.agent({ agentId: "m-1", inventory: inv, handle: () => undefined });
    await first.welcome;
    const pending = h.registry.send(
      "manager-1",
      { case: "swarmInit", value: { advertiseAddr: "10.0.0.1" } },
      {
        idempotencyKey: "init-abc",
        timeoutMs: 10_000,
      },
    );
    await expect.poll(() => first.commands.length).toBe(1);
    first.close();
    await expect.poll(() => h.registry.get("manager-1")!.connected).toBe(false);
    const second = h.agent({
      agentId: "m-1",
      inventory: inv,
      handle: () => ({ replayed: true, result: { case: "swarmInit", value: { nodeId: "n1" } } }),
    });
    const res = await pending;
    expect(res.replayed).toBe(true);
    expect(second.commands.map((c) => [c.id, c.idempotencyKey])).toEqual([
      [first.commands[0]!.id, "init-abc"],
    ]);
  });

  it("a command pending when the agent leaves for good rejects with AGENT_OFFLINE", async () => {
    const h = await harness({ reconnectWindowMs: 100 });
    const a = h.agent({
      agentId: "m-1",
      inventory: { host: { hostname: "h", vmid: 1001 } },
      handle: () => undefined,
    });
    await a.welcome;
    const pending = h.registry.send("manager-1", { case: "swarmInspect", value: {} }, { timeoutMs: 10_000 });
    await expect.poll(() => a.commands.length).toBe(1);
    a.close();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.AGENT_OFFLINE });
    expect(h.events).toContain("disconnected manager-1");
  });

  it("reports inventory and swarm membership changes", async () => {
    const h = await harness();
    const a = h.agent({ agentId: "m-1", inventory: { host: { hostname: "h", vmid: 1001 } } });
    await a.welcome;
    a.send({
      case: "inventoryUpdate",
      value: { inventory: { host: { hostname: "h", vmid: 1001 }, gpu: { state: 2 } }, changed: ["gpu"] },
    });
    a.send({ case: "heartbeat", value: { seq: 1n, docker: { swarmState: 3, nodeId: "node-x" } } });
    await expect.poll(() => h.events.length).toBe(3);
    expect(h.events.slice(1)).toEqual(["inventory manager-1 gpu", "docker manager-1 node-x"]);
    expect(h.registry.get("manager-1")!.docker?.nodeId).toBe("node-x");
  });

  it("waitOnline resolves when the agent registers", async () => {
    const h = await harness();
    const waiting = h.registry.waitOnline("manager-1", 5_000);
    h.agent({ agentId: "m-1", inventory: { host: { hostname: "h", vmid: 1001 } } });
    const rec: AgentRecord = await waiting;
    expect(rec.name).toBe("manager-1");
    await expect(h.registry.waitOnline("ghost", 50)).rejects.toMatchObject({ code: ErrorCode.AGENT_OFFLINE });
  });

  it("fans a ping out to many agents", async () => {
    const h = await harness({ heartbeatIntervalMs: 1_000, heartbeatTtlMs: 3_000 });
    const n = 200;
    const agents = Array.from({ length: n }, (_, i) =>
      h.agent({ agentId: `a-${i}`, inventory: { host: { hostname: `g-${i}` } } }),
    );
    await Promise.all(agents.map((a) => a.welcome));
    const out = await h.registry.sendAll(
      agents.map((_, i) => `g-${i}`),
      { case: "ping", value: {} },
      (t) => ({ idempotencyKey: `ping-${t}` }),
    );
    expect(out.filter((o) => o.status === "fulfilled")).toHaveLength(n);
    expect(h.registry.stats()).toMatchObject({ known: n, connected: n, online: n, pending: 0 });
  });

  it("a caller that stops waiting cancels the command on its agent, whose last answer is only logged", async () => {
    const h = await harness();
    const a = h.agent({
      agentId: "m-1",
      inventory: { host: { hostname: "h", vmid: 1001 } },
      handle: (cmd, self) => {
        if (cmd.kind.case !== "serviceLogs") return undefined;
        self.send({ case: "commandProgress", value: { commandId: cmd.id, log: { text: "line-1" } } });
        // Answers only once told to stop, as the real agent does for a followed log stream.
        return new Promise((resolve) => {
          const poll = setInterval(() => {
            if (!self.cancels.some((c) => c.commandId === cmd.id)) return;
            clearInterval(poll);
            resolve({ error: { code: "CANCELLED", message: "cancelled: the caller cancelled" } });
          }, 10);
        });
      },
    });
    await a.welcome;
    const ac = new AbortController();
    const lines: string[] = [];
    const waiting = h.registry
      .send(
        "manager-1",
        { case: "serviceLogs", value: { service: "web", follow: true } },
        {
          timeoutMs: 60_000,
          signal: ac.signal,
          onProgress: (p) => {
            lines.push(p.log?.text ?? "");
            ac.abort();
          },
        },
      )
      .catch((e: unknown) => e);
    expect(await waiting).toMatchObject({ code: ErrorCode.CANCELLED });
    expect(lines).toEqual(["line-1"]);
    await vi.waitFor(() => expect(a.cancels).toHaveLength(1));
    expect(a.cancels[0]).toMatchObject({ commandId: a.commands[0]!.id, reason: "the caller cancelled" });
    await vi.waitFor(() => expect(h.logs.join("")).toMatch(/a cancelled command ended on its agent/));
    const ended = h.logs
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === "a cancelled command ended on its agent");
    expect(ended).toMatchObject({ commandId: a.commands[0]!.id, code: "CANCELLED", command: "serviceLogs" });
    expect(h.registry.stats().pending).toBe(0);
  });

  it("many commands and waits on one signal: one abort listener, no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const h = await harness();
      const a = h.agent({ agentId: "m-1", inventory: { host: { hostname: "h", vmid: 1001 } } });
      await a.welcome;
      const listeners = (s: AbortSignal) => getEventListeners(s, "abort").length;
      // A sync's or an API call's signal, shared by everything it sends.
      const run = new AbortController();
      const pings = Array.from({ length: 30 }, (_, i) =>
        h.registry.send(
          "manager-1",
          { case: "ping", value: {} },
          { idempotencyKey: `p${i}`, signal: run.signal },
        ),
      );
      const waits = Array.from({ length: 15 }, () => h.registry.waitOnline("ghost", 10_000, run.signal));
      expect(listeners(run.signal)).toBe(1);
      expect((await Promise.all(pings)).every((r) => r.result.case === "ping")).toBe(true);
      expect(listeners(run.signal)).toBe(1);
      run.abort();
      const waited = await Promise.allSettled(waits);
      expect(waited.map((w) => w.status === "rejected" && (w.reason as PhoenixError).code)).toEqual(
        Array(15).fill(ErrorCode.CANCELLED),
      );
      expect(listeners(run.signal)).toBe(0);

      // Commands that never answer, all cancelled at once by their shared signal.
      const silent = h.agent({
        agentId: "m-2",
        inventory: { host: { hostname: "quiet" } },
        handle: () => undefined,
      });
      await silent.welcome;
      const stop = new AbortController();
      const pending = Array.from({ length: 30 }, () =>
        h.registry
          .send("quiet", { case: "swarmInspect", value: {} }, { signal: stop.signal })
          .catch((e) => e),
      );
      expect(listeners(stop.signal)).toBe(1);
      stop.abort();
      expect((await Promise.all(pending)).map((e: PhoenixError) => e.code)).toEqual(
        Array(30).fill(ErrorCode.CANCELLED),
      );
      expect(h.registry.stats().pending).toBe(0);
      await vi.waitFor(() => expect(silent.cancels).toHaveLength(30));
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("close says Goodbye SHUTDOWN to every agent", async () => {
    const h = await harness();
    const a = h.agent({ agentId: "m-1", inventory: { host: { hostname: "h", vmid: 1001 } } });
    await a.welcome;
    await h.registry.close();
    expect(await a.ended).toBeUndefined();
    expect(a.goodbyes.map((g) => g.reason)).toEqual([GoodbyeReason.SHUTDOWN]);
  });
});

describe("peerIp", () => {
  it.each([
    ["ipv4:10.0.0.2:5000", "10.0.0.2"],
    ["10.0.0.2:5000", "10.0.0.2"],
    ["ipv6:[::1]:5000", "::1"],
    ["[fd00::5]:1", "fd00::5"],
    ["unix:/tmp/x", "unix:/tmp/x"],
  ])("%s → %s", (peer, ip) => expect(peerIp(peer)).toBe(ip));
});
