import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, DockerStateSchema, DockerStatus, SwarmLocalState } from "@phoenix/proto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDockerProbe, fullReadDue, swarmHeaderOf } from "./docker-probe";

const state = (status: DockerStatus, swarmState = SwarmLocalState.ACTIVE) =>
  create(DockerStateSchema, { status, swarmState });

describe("fullReadDue", () => {
  const ok = state(DockerStatus.OK);
  it.each([
    ["nothing read yet", undefined, 0, 1_000, true],
    ["settled and fresh", ok, 0, 29_999, false],
    ["settled, the last full read 30 s old", ok, 0, 30_000, true],
    ["not in a swarm, fresh", state(DockerStatus.OK, SwarmLocalState.INACTIVE), 0, 5_000, false],
    ["the engine did not answer last time", state(DockerStatus.UNREACHABLE), 0, 1, true],
    ["joining (pending)", state(DockerStatus.OK, SwarmLocalState.PENDING), 0, 1, true],
    ["swarm error", state(DockerStatus.OK, SwarmLocalState.ERROR), 0, 1, true],
    ["swarm locked", state(DockerStatus.OK, SwarmLocalState.LOCKED), 0, 1, true],
    ["swarm state unknown", state(DockerStatus.OK, SwarmLocalState.UNSPECIFIED), 0, 1, true],
    ["invalidated", ok, Number.NEGATIVE_INFINITY, 0, true],
  ])("%s", (_name, last, lastFullAt, now, want) => {
    expect(fullReadDue(last, lastFullAt, now, 30_000)).toBe(want);
  });
});

describe("swarmHeaderOf", () => {
  it.each([
    [SwarmLocalState.ACTIVE, true, "active/manager"],
    [SwarmLocalState.ACTIVE, false, "active/worker"],
    [SwarmLocalState.INACTIVE, false, "inactive"],
    [SwarmLocalState.PENDING, false, "pending"],
    [SwarmLocalState.ERROR, false, "error"],
    [SwarmLocalState.LOCKED, true, "locked"],
    [SwarmLocalState.UNSPECIFIED, false, ""],
  ])("%s, manager %s: %j", (swarmState, manager, want) => {
    expect(swarmHeaderOf(create(DockerStateSchema, { swarmState, manager }))).toBe(want);
  });
});

// A real HTTP server on a unix socket that answers GET /info and GET /_ping the way dockerd does.
describe("createDockerProbe against an engine", () => {
  let dir: string;
  let socket: string;
  let server: Server;
  let seen: string[] = [];
  /** `header`: the engine sends the ping's Swarm header (Docker 25 and later). */
  let engine = { version: "20.10.24+dfsg1", swarm: "active", manager: false, header: false, up: true };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "phoenix-docker-probe-"));
    socket = join(dir, "docker.sock");
    server = createServer((req, res) => {
      seen.push(req.url ?? "");
      if (!engine.up) return res.writeHead(500).end('{"message":"starting"}');
      const headers: Record<string, string> = {
        "Api-Version": "1.41",
        Server: `Docker/${engine.version} (linux)`,
      };
      if (engine.header) {
        headers.Swarm =
          engine.swarm === "active" ? `active/${engine.manager ? "manager" : "worker"}` : engine.swarm;
      }
      if (req.url === "/_ping") return res.writeHead(200, headers).end("OK");
      const swarm = { LocalNodeState: engine.swarm, NodeID: "n1", ControlAvailable: engine.manager };
      const info = { ServerVersion: engine.version, Swarm: swarm };
      res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify(info));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen = [];
    engine = { version: "20.10.24+dfsg1", swarm: "active", manager: false, header: false, up: true };
  });

  const probeAt = (clock: { now: number }) =>
    createDockerProbe({ dockerSocket: socket, fullReadMs: 30_000, now: () => clock.now });

  it("reads /info once, then pings until the read is 30 s old", async () => {
    const clock = { now: 0 };
    const probe = probeAt(clock);
    const first = await probe.read();
    expect(first).toMatchObject({
      status: DockerStatus.OK,
      engineVersion: "20.10.24+dfsg1",
      apiVersion: "1.41",
      swarmState: SwarmLocalState.ACTIVE,
      nodeId: "n1",
    });
    for (const t of [5_000, 10_000, 29_999]) {
      clock.now = t;
      expect(await probe.read()).toBe(first);
    }
    clock.now = 30_000;
    await probe.read();
    expect(seen).toEqual(["/info", "/_ping", "/_ping", "/_ping", "/info"]);
  });

  it("a swarm left by hand shows at the next full read", async () => {
    const clock = { now: 0 };
    const probe = probeAt(clock);
    await probe.read();
    engine.swarm = "inactive";
    clock.now = 10_000;
    expect((await probe.read()).swarmState).toBe(SwarmLocalState.ACTIVE);
    clock.now = 30_000;
    expect((await probe.read()).swarmState).toBe(SwarmLocalState.INACTIVE);
  });

  it("from an engine that sends the ping's Swarm header, a swarm change made by hand shows at the next ping", async () => {
    const clock = { now: 0 };
    const probe = probeAt(clock);
    engine.header = true;
    await probe.read();
    clock.now = 5_000;
    await probe.read(); // the header matches: a ping is all
    engine.manager = true; // promoted by hand
    clock.now = 10_000;
    expect((await probe.read()).manager).toBe(true);
    engine.swarm = "inactive"; // left by hand
    clock.now = 15_000;
    expect((await probe.read()).swarmState).toBe(SwarmLocalState.INACTIVE);
    clock.now = 20_000;
    await probe.read();
    expect(seen).toEqual(["/info", "/_ping", "/_ping", "/info", "/_ping", "/info", "/_ping"]);
  });

  it("reads again after invalidate, and when the ping names another engine version", async () => {
    const clock = { now: 0 };
    const probe = probeAt(clock);
    await probe.read();
    probe.invalidate();
    engine.swarm = "inactive";
    expect((await probe.read()).swarmState).toBe(SwarmLocalState.INACTIVE);
    engine.version = "28.5.1";
    clock.now = 1_000;
    expect((await probe.read()).engineVersion).toBe("28.5.1");
    expect(seen).toEqual(["/info", "/info", "/_ping", "/info"]);
  });

  it("an engine that stops answering is unreachable at the next ping, and read in full once back", async () => {
    const clock = { now: 0 };
    const probe = probeAt(clock);
    await probe.read();
    engine.up = false;
    const down = await probe.read();
    expect(down.status).toBe(DockerStatus.UNREACHABLE);
    expect(down.error).toContain(
      `Docker engine at ${socket} did not answer: (HTTP code 500) server error - starting`,
    );
    expect((await probe.read()).status).toBe(DockerStatus.UNREACHABLE);
    engine.up = true;
    engine.swarm = "pending";
    expect((await probe.read()).swarmState).toBe(SwarmLocalState.PENDING);
    engine.swarm = "active";
    expect((await probe.read()).swarmState).toBe(SwarmLocalState.ACTIVE);
    expect(await probe.read()).toMatchObject({ status: DockerStatus.OK, swarmState: SwarmLocalState.ACTIVE });
    expect(seen).toEqual(["/info", "/_ping", "/info", "/info", "/info", "/_ping"]);
  });

  it("takes a full read made elsewhere as its latest", async () => {
    const clock = { now: 0 };
    const probe = probeAt(clock);
    const elsewhere = create(DockerStateSchema, {
      status: DockerStatus.OK,
      swarmState: SwarmLocalState.ACTIVE,
      engineVersion: "20.10.24+dfsg1",
      nodeId: "from-the-inventory",
    });
    probe.remember(elsewhere);
    expect(await probe.read()).toBe(elsewhere);
    expect(seen).toEqual(["/_ping"]);
  });
});
