import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { ClusterService, clientCredentials, createClient, GpuState, timestampFromDate } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestTls } from "../../packages/proto/src/test-tls";
import { VERSION } from "./config";
import { createLogger } from "./logger";
import { startTestCoordinator, TEST_TOKENS, type TestCoordinator, writeModel } from "./test-support/lab";
import { startScriptedAgent } from "./test-support/scripted-agent";

const MODEL = {
  "etc/phoenix_cluster.json": {
    name: "apilab",
    swarm: { managers: 1, adopt: "worker" },
    environments: ["dev1"],
  },
  "etc/phoenix_vm_configs.json": {
    vms: [
      { vmid: 201, name: "alpha", swarm_role: "manager", node_labels: ["zone=a"] },
      { vmid: 202, name: "beta", swarm_role: "worker" },
    ],
  },
};

const logs: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    logs.push(String(chunk));
    cb();
  },
});

let lab: TestCoordinator;
let modelDir: string;

beforeAll(async () => {
  modelDir = writeModel(MODEL);
  lab = await startTestCoordinator({
    modelDir,
    host: "127.0.0.1",
    logLevel: "debug",
    logger: createLogger("debug", sink),
  });
});
afterAll(async () => {
  await lab?.stop();
});

async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of stream) out.push(m);
  return out;
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as PhoenixError,
  );

describe("ClusterService authentication", () => {
  it.each([
    ["no token", ""],
    ["a wrong token", "not-the-api-token-SECRET"],
    ["the enrollment token", TEST_TOKENS.enrollment],
  ])("refuses %s with UNAUTHENTICATED", async (_, token) => {
    const err = await refusal(lab.client(token).getStatus({}));
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err?.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it("refuses a streamed call without a valid token too", async () => {
    const err = await refusal(drain(lab.client("nope").watchEvents({ follow: false })));
    expect(err?.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it("lets the read-only token read", async () => {
    const ro = lab.client(TEST_TOKENS.readOnly);
    expect((await ro.getStatus({})).cluster).toBe("apilab");
    expect((await ro.listNodes({})).nodes.map((n) => n.name)).toEqual(["alpha", "beta"]);
    expect((await ro.plan({})).warnings.join("\n")).toMatch(/no guest that should be a manager is online/);
    // The plans of a sync and of a deploy change nothing: the read-only token may see them.
    const planned = (await drain(ro.sync({ dryRun: true }))).map((m) => m.msg.case);
    expect(planned).toEqual(["plan", "summary"]);
    const preview = await drain(ro.deployStack({ stack: "x", env: "dev1", dryRun: true })).catch(
      (e: PhoenixError) => e,
    );
    // Refused for what it asks (no stack x in the model), not for the token.
    expect((preview as PhoenixError).code).toBe(ErrorCode.NOT_FOUND);
  });

  it.each([
    ["sync", (c: ReturnType<TestCoordinator["client"]>) => drain(c.sync({}))],
    ["swarmInit", (c: ReturnType<TestCoordinator["client"]>) => c.swarmInit({})],
    ["swarmJoin", (c: ReturnType<TestCoordinator["client"]>) => c.swarmJoin({ node: "beta" })],
    [
      "deployStack",
      (c: ReturnType<TestCoordinator["client"]>) => drain(c.deployStack({ stack: "x", env: "dev1" })),
    ],
    ["removeStack", (c: ReturnType<TestCoordinator["client"]>) => c.removeStack({ stack: "x", env: "dev1" })],
    [
      "scaleService",
      (c: ReturnType<TestCoordinator["client"]>) => c.scaleService({ service: "x", replicas: 2 }),
    ],
    ["updateAgents", (c: ReturnType<TestCoordinator["client"]>) => drain(c.updateAgents({}))],
  ])("refuses %s to the read-only token with PERMISSION_DENIED", async (method, call) => {
    const err = await refusal(call(lab.client(TEST_TOKENS.readOnly)));
    expect(err?.code).toBe(ErrorCode.PERMISSION_DENIED);
    expect(err?.message).toContain(method);
  });

  it("never writes a token to its logs", () => {
    const all = logs.join("");
    expect(all).toMatch(/API call refused/);
    for (const secret of [
      TEST_TOKENS.api,
      TEST_TOKENS.readOnly,
      TEST_TOKENS.enrollment,
      "not-the-api-token-SECRET",
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe("ClusterService with agents", () => {
  it("lists model guests with their agents, adopts a stranger by policy, and finds nodes by vmid", async () => {
    const alpha = startScriptedAgent(lab.agentAddress, {
      agentId: "id-alpha",
      token: TEST_TOKENS.enrollment,
      inventory: {
        host: { hostname: "alpha", vmid: 201, arch: "amd64", virtualization: 2 },
        gpu: { state: GpuState.NONE },
      },
    });
    const stranger = startScriptedAgent(lab.agentAddress, {
      agentId: "id-stranger",
      token: TEST_TOKENS.enrollment,
      inventory: { host: { hostname: "newbox" } },
    });
    expect((await alpha.welcome).guest).toBe("alpha");
    expect((await stranger.welcome).guest).toBe("newbox");
    const c = lab.client();
    const nodes = (await c.listNodes({})).nodes;
    expect(nodes.map((n) => [n.name, n.inModel, n.online])).toEqual([
      ["alpha", true, true],
      ["beta", true, false],
      ["newbox", false, true],
    ]);
    expect((await c.getNode({ node: "201" })).node?.hostname).toBe("alpha");
    const err = await refusal(c.getNode({ node: "gamma" }));
    expect(err?.code).toBe(ErrorCode.NOT_FOUND);
    const status = await c.getStatus({});
    expect([status.guests, status.agentsOnline, status.agentsKnown, status.swarm?.initialized]).toEqual([
      2,
      2,
      2,
      false,
    ]);
    alpha.close();
    stranger.close();
  });
});

describe("ClusterService and two guests cloned with one machine id", () => {
  it("warns in status and plan, naming both machines", async () => {
    const clone = (hostname: string, vmid: number) =>
      startScriptedAgent(lab.agentAddress, {
        agentId: "id-cloned",
        token: TEST_TOKENS.enrollment,
        inventory: { host: { hostname, vmid } },
      });
    const sessions = [clone("alpha", 201), clone("beta", 202), clone("alpha", 201)];
    for (const s of sessions) await s.welcome;
    try {
      const c = lab.client();
      const [status, plan] = [await c.getStatus({}), await c.plan({})];
      for (const warnings of [status.warnings, plan.warnings]) {
        const clash = warnings.filter((w) => w.startsWith("agent id id-cloned is presented by 2 machines"));
        expect(clash).toHaveLength(1);
        expect(clash[0]).toContain("alpha (vmid 201, 127.0.0.1), beta (vmid 202, 127.0.0.1)");
      }
    } finally {
      for (const s of sessions) s.close();
    }
  });
});

describe("ClusterService and an agent of another version", () => {
  it("says in status and plan which guest runs it and how to update it", async () => {
    const beta = startScriptedAgent(lab.agentAddress, {
      agentId: "id-beta-old",
      token: TEST_TOKENS.enrollment,
      agentVersion: "0.0.9",
      inventory: { host: { hostname: "beta", vmid: 202 } },
    });
    await beta.welcome;
    try {
      const c = lab.client();
      const note = `beta: its agent is 0.0.9, this coordinator ${VERSION}: `;
      for (const warnings of [(await c.getStatus({})).warnings, (await c.plan({})).warnings])
        expect(warnings.filter((w) => w.startsWith(note))).toHaveLength(1);
    } finally {
      beta.close();
    }
  });
});

describe("ClusterService and a bad model", () => {
  it("refuses plan, sync and deploy with INVALID_MODEL listing every problem", async () => {
    writeFileSync(
      join(modelDir, "etc/phoenix_vm_configs.json"),
      JSON.stringify({
        vms: [{ vmid: 201, name: "alpha", swarm_role: "captain", node_labels: ["=x"] }, { vmid: "202" }],
      }),
    );
    try {
      const c = lab.client();
      for (const call of [
        () => c.plan({}),
        () => drain(c.sync({})),
        () => drain(c.deployStack({ stack: "web", env: "dev1" })),
      ]) {
        const err = await refusal(call());
        expect(err?.code).toBe(ErrorCode.INVALID_MODEL);
        expect(err?.details.length).toBeGreaterThanOrEqual(3);
        for (const d of err?.details ?? []) expect(d.place.file).toBe("etc/phoenix_vm_configs.json");
      }
      const status = await c.getStatus({});
      expect(status.modelError?.code).toBe("INVALID_MODEL");
    } finally {
      writeModel(MODEL, modelDir);
    }
  });
});

describe("ClusterService events", () => {
  it("replays from a sequence number and follows new events", async () => {
    const c = lab.client();
    const all = await drain(c.watchEvents({ sinceTime: timestampFromDate(new Date(0)) }));
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((e) => e.event?.type)).toContain("agent.connected");
    const seqs = all.map((e) => Number(e.event?.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const last = BigInt(seqs.at(-1)!);
    const replay = await drain(c.watchEvents({ afterSeq: last - 1n }));
    expect(replay.map((e) => e.event?.seq)).toEqual([last]);
    expect(await drain(c.watchEvents({}))).toEqual([]);

    const ac = new AbortController();
    const followed: string[] = [];
    const follow = (async () => {
      for await (const e of c.watchEvents(
        { afterSeq: last, follow: true, types: ["agent."] },
        { signal: ac.signal },
      )) {
        followed.push(`${e.event?.type} ${e.event?.subject}`);
        if (followed.length === 2) ac.abort();
      }
    })().catch(() => undefined);
    const a = startScriptedAgent(lab.agentAddress, {
      agentId: "id-beta",
      token: TEST_TOKENS.enrollment,
      inventory: { host: { hostname: "beta", vmid: 202 } },
    });
    await a.welcome;
    a.close();
    await follow;
    expect(followed).toEqual(["agent.connected beta", "agent.disconnected beta"]);
  });
});

describe("ClusterService over TLS", () => {
  it("serves TLS when certificate files are given, and refuses a client that does not trust it", async () => {
    const certs = makeTestTls("phoenix-api-tls-");
    const tls = await startTestCoordinator({
      modelDir,
      host: "127.0.0.1",
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
    });
    const md = () => {
      const m = new grpc.Metadata();
      m.set("authorization", `Bearer ${TEST_TOKENS.api}`);
      return m;
    };
    const address = `localhost:${tls.coordinator.address.port}`;
    const good = createClient(ClusterService, address, clientCredentials({ caFile: certs.caFile }), {}, md);
    const plain = createClient(ClusterService, address, clientCredentials(), {}, md);
    try {
      expect((await good.getStatus({})).cluster).toBe("apilab");
      const err = await refusal(plain.getStatus({}, { timeoutMs: 2_000 }));
      expect(err?.code).toBeDefined();
      expect(err?.code).not.toBe(ErrorCode.UNAUTHENTICATED);
    } finally {
      good.close();
      plain.close();
      await tls.stop();
    }
  });
});
