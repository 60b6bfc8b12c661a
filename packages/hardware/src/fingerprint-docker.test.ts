import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerStatus, SwarmLocalState } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerFingerprinter, dockerStateFrom } from "./fingerprint-docker";

describe("dockerStateFrom", () => {
  it("a manager of an active swarm", () => {
    const s = dockerStateFrom({
      apiVersion: "1.41",
      info: {
        ServerVersion: "20.10.24+dfsg1",
        ContainersRunning: 3,
        Swarm: {
          LocalNodeState: "active",
          NodeID: "n1",
          NodeAddr: "10.0.0.11",
          ControlAvailable: true,
          Cluster: { ID: "c1" },
          RemoteManagers: [
            { NodeID: "n2", Addr: "10.0.0.12:2377" },
            { NodeID: "n1", Addr: "10.0.0.11:2377" },
          ],
        },
      },
    });
    expect(s).toMatchObject({
      status: DockerStatus.OK,
      engineVersion: "20.10.24+dfsg1",
      apiVersion: "1.41",
      swarmState: SwarmLocalState.ACTIVE,
      nodeId: "n1",
      manager: true,
      clusterId: "c1",
      managerAddresses: ["10.0.0.11:2377", "10.0.0.12:2377"],
      containersRunning: 3,
      nodeAddr: "10.0.0.11",
    });
  });

  it.each([
    ["inactive", SwarmLocalState.INACTIVE],
    ["pending", SwarmLocalState.PENDING],
    ["locked", SwarmLocalState.LOCKED],
    ["error", SwarmLocalState.ERROR],
    ["", SwarmLocalState.UNSPECIFIED],
  ])("swarm state %j", (state, expected) => {
    const s = dockerStateFrom({
      apiVersion: "",
      info: { Swarm: { LocalNodeState: state, Cluster: null, RemoteManagers: null } },
    });
    expect([s.swarmState, s.manager, s.managerAddresses, s.clusterId]).toEqual([expected, false, [], ""]);
  });
});

// Real sockets: one that does not exist, one that accepts and never answers.
describe("Docker down is reported, not thrown", () => {
  let dir: string;
  let silent: Server;
  const held: Socket[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "phoenix-docker-"));
    silent = createServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(join(dir, "silent.sock"), resolve));
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("no socket", async () => {
    const socket = join(dir, "missing.sock");
    const { docker } = await createDockerFingerprinter({ dockerSocket: socket }).fingerprint({});
    expect(docker?.status).toBe(DockerStatus.UNREACHABLE);
    expect(docker?.error).toContain(socket);
    expect(docker?.error).toMatch(/ENOENT/);
  });

  it("a socket that never answers times out", async () => {
    const socket = join(dir, "silent.sock");
    const started = Date.now();
    const { docker } = await createDockerFingerprinter({
      dockerSocket: socket,
      dockerTimeoutMs: 300,
    }).fingerprint({});
    expect(docker?.status).toBe(DockerStatus.UNREACHABLE);
    expect(docker?.error).toContain("no answer within 300 ms");
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
