import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerStatus, type Inventory, SwarmLocalState } from "@phoenix/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerFingerprinter } from "./fingerprint-docker";
import { createInventoryManager } from "./inventory-manager";

// A real dockerd in its own network namespace (loopback plus a veth pair for the swarm address),
// without iptables or a bridge, so it touches nothing outside its directory.
const ADDR = "10.77.0.1";
let dir: string;
let socket: string;
let dockerd: ChildProcess;

const docker = (...args: string[]) =>
  execFileSync("docker", ["-H", `unix://${socket}`, ...args], { encoding: "utf8" }).trim();

async function waitFor(check: () => boolean, ms: number, what: string) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "phoenix-dockerd-"));
  socket = join(dir, "docker.sock");
  const script = [
    "ip link set lo up",
    "ip link add d0 type veth peer name d1",
    `ip addr add ${ADDR}/24 dev d0`,
    "ip link set d1 up",
    "ip link set d0 up",
    `exec dockerd -H unix://${socket} --data-root ${dir}/data --exec-root ${dir}/exec --pidfile ${dir}/docker.pid` +
      " --bridge=none --iptables=false --ip6tables=false --log-level=error",
  ].join(" && ");
  dockerd = spawn("unshare", ["--net", "--fork", "sh", "-c", script], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  dockerd.stderr?.on("data", (b) => {
    stderr += String(b);
  });
  await waitFor(
    () => {
      if (dockerd.exitCode !== null) throw new Error(`dockerd exited: ${stderr}`);
      try {
        return existsSync(socket) && docker("version", "--format", "{{.Server.Version}}") !== "";
      } catch {
        return false;
      }
    },
    60_000,
    "dockerd",
  );
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  const pidFile = join(dir, "docker.pid");
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : undefined;
  if (pid && alive(pid)) {
    try {
      docker("swarm", "leave", "--force");
    } catch {}
    process.kill(pid, "SIGTERM");
    await waitFor(() => !alive(pid), 20_000, "dockerd to stop").catch(() => process.kill(pid, "SIGKILL"));
  }
  if (dockerd && dockerd.exitCode === null && dockerd.signalCode === null) dockerd.kill("SIGKILL");
  try {
    execFileSync("sh", ["-c", `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
  } catch {}
  await rm(dir, { recursive: true, force: true });
});

describe("docker fingerprinter against a real dockerd", () => {
  it("reads engine and API version, no swarm, no containers", async () => {
    const { docker: state } = await createDockerFingerprinter({ dockerSocket: socket }).fingerprint({});
    expect(state).toMatchObject({
      status: DockerStatus.OK,
      error: "",
      engineVersion: docker("version", "--format", "{{.Server.Version}}"),
      apiVersion: docker("version", "--format", "{{.Server.APIVersion}}"),
      swarmState: SwarmLocalState.INACTIVE,
      manager: false,
      nodeId: "",
      containersRunning: 0,
    });
  });

  it("reports swarm membership after swarm init, and the manager notices the change", async () => {
    const manager = createInventoryManager({
      dockerSocket: socket,
      fingerprinters: ["docker"],
      intervalMs: 300,
    });
    const changes: Inventory[] = [];
    manager.onChange((inv) => changes.push(inv));
    try {
      const before = await manager.start();
      expect(before.docker?.swarmState).toBe(SwarmLocalState.INACTIVE);
      docker("swarm", "init", "--advertise-addr", ADDR);
      await waitFor(() => changes.length > 0, 20_000, "an inventory change");
      const after = changes.at(-1)!.docker!;
      expect(after).toMatchObject({
        status: DockerStatus.OK,
        swarmState: SwarmLocalState.ACTIVE,
        manager: true,
        nodeId: docker("info", "--format", "{{.Swarm.NodeID}}"),
        clusterId: docker("info", "--format", "{{.Swarm.Cluster.ID}}"),
        nodeAddr: ADDR,
        managerAddresses: [`${ADDR}:2377`],
      });
    } finally {
      manager.stop();
    }
  });
});
