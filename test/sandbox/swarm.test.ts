import type { ChildProcess } from "node:child_process";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { TEST_IMAGE } from "./constants";
import type { Guest } from "./guest";
import { findLeftovers, footprint } from "./leftovers";
import { useSandbox } from "./use-sandbox";

const sandbox = useSandbox({ guests: 3 });
/** The process started in guest-2 by the spawn test; `down` must end it. */
let spawned: ChildProcess | undefined;

/** Polls `probe` until it returns a value (not undefined) or the time is up. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen in ${timeoutMs} ms (last error: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function readyNodes(docker: Docker): Promise<string[]> {
  const nodes = await docker.listNodes();
  return nodes
    .filter((n) => n.Status?.State === "ready")
    .map((n) => n.Description?.Hostname ?? "")
    .sort();
}

async function join(guest: Guest, manager: Guest): Promise<void> {
  const swarm = await manager.docker.swarmInspect();
  await guest.docker.swarmJoin({
    ListenAddr: "0.0.0.0:2377",
    AdvertiseAddr: guest.ip,
    RemoteAddrs: [`${manager.ip}:2377`],
    JoinToken: swarm.JoinTokens.Worker,
  });
}

/** Runs a one-off container on a guest and returns its exit code and output. */
async function runContainer(
  guest: Guest,
  cmd: string[],
  network?: string,
): Promise<{ code: number; out: string }> {
  const c = await guest.docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: cmd,
    Tty: true,
    HostConfig: network ? { NetworkMode: network } : {},
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const out = (await c.logs({ stdout: true, stderr: true })).toString("utf8");
    return { code: StatusCode, out };
  } finally {
    await c.remove({ force: true });
  }
}

describe("sandbox guests", () => {
  it("are separate hosts on one /24 with no default route, each with its own dockerd and the test image", async () => {
    const [g1, , g3] = sandbox.guests as [Guest, Guest, Guest];
    expect(sandbox.subnet).toMatch(/^10\.213\.\d+\.0\/24$/);
    expect(new Set(sandbox.guests.map((g) => g.ip)).size).toBe(3);
    for (const g of sandbox.guests) {
      expect((await g.exec(["hostname"])).stdout.trim()).toBe(g.name);
      const routes = (await g.exec(["ip", "-4", "route"])).stdout;
      expect(routes).not.toMatch(/default/);
      expect(routes).toContain(sandbox.subnet);
      const info = await g.docker.info();
      expect(info.Name).toBe(g.name);
      expect((await g.docker.getImage(TEST_IMAGE).inspect()).RepoTags).toContain(TEST_IMAGE);
    }
    expect(new Set(await Promise.all(sandbox.guests.map(async (g) => (await g.docker.info()).ID))).size).toBe(
      3,
    );
    await g3.exec(["busybox", "ping", "-c", "1", "-W", "2", g1.ip]);
    await g1.exec(["busybox", "ping", "-c", "1", "-W", "2", sandbox.bridgeIp]);
  });

  it("spawn runs a process inside the guest, under the guest's hostname, pointed at the guest's dockerd", async () => {
    const g2 = sandbox.guest("guest-2");
    const child = g2.spawn("sh", ["-c", 'echo "$(hostname) $DOCKER_HOST"; exec sleep 600'], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve) =>
      child.stdout?.once("data", (b: Buffer) => resolve(b.toString())),
    );
    expect(line.trim()).toBe(`guest-2 ${g2.dockerHost}`);
    expect(sandbox.state().spawned.map((s) => s.pid)).toContain(child.pid);
    spawned = child;
  });

  it("reach the host's nats-server (JetStream) at the bridge address; the host reaches it on loopback", async () => {
    const [host, port] = sandbox.natsUrl.replace("nats://", "").split(":") as [string, string];
    expect(host).toBe(sandbox.bridgeIp);
    const info = await sandbox.guest(2).exec(["busybox", "timeout", "2", "busybox", "nc", host, port], {
      reject: false,
    });
    expect(info.stdout).toMatch(/^INFO .*"jetstream":true/);
    const nc = await connect({ servers: sandbox.natsLocalUrl });
    try {
      const account = await (await jetstreamManager(nc)).getAccountInfo();
      expect(account.streams).toBe(0);
    } finally {
      await nc.close();
    }
  });
});

describe("a swarm across the guests", () => {
  it("forms through each guest's own Docker API: init on guest-1, join guest-2 and guest-3", async () => {
    const [g1, g2, g3] = sandbox.guests as [Guest, Guest, Guest];
    await g1.docker.swarmInit({ ListenAddr: "0.0.0.0:2377", AdvertiseAddr: g1.ip });
    await Promise.all([join(g2, g1), join(g3, g1)]);
    const ready = await eventually("3 ready nodes", async () => {
      const nodes = await readyNodes(g1.docker);
      return nodes.length === 3 ? nodes : undefined;
    });
    expect(ready).toEqual(["guest-1", "guest-2", "guest-3"]);
  });

  it("carries overlay traffic between tasks on different guests (dnsrr name and task IP)", async () => {
    const [g1, g2, g3] = sandbox.guests as [Guest, Guest, Guest];
    await g1.docker.createNetwork({ Name: "lab", Driver: "overlay", Attachable: true });
    await g1.docker.createService({
      Name: "web",
      TaskTemplate: {
        ContainerSpec: {
          Image: TEST_IMAGE,
          Command: [
            "sh",
            "-c",
            "echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www",
          ],
        },
        Placement: { Constraints: ["node.hostname == guest-2"] },
        Networks: [{ Target: "lab" }],
      },
      EndpointSpec: { Mode: "dnsrr" },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const task = await eventually("the web task running", async () => {
      const tasks = await g1.docker.listTasks({
        filters: { service: ["web"], "desired-state": ["running"] },
      });
      return tasks.find((t) => t.Status?.State === "running");
    });
    const node = await g1.docker.getNode(task.NodeID).inspect();
    expect(node.Description.Hostname).toBe("guest-2");
    const attachments = (
      task as { NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[] }
    ).NetworksAttachments;
    const taskIp = attachments?.find((a) => a.Network.Spec.Name === "lab")?.Addresses[0]?.split("/")[0];
    expect(taskIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // The container id (its hostname) is on guest-2 only.
    const onG2 = await g2.docker.listContainers({
      filters: { label: ["com.docker.swarm.service.name=web"] },
    });
    expect(onG2).toHaveLength(1);
    // busybox 1.35's `wget -T` segfaults: bound each try with `timeout` instead.
    const get = (url: string) => `timeout 3 wget -qO- ${url}`;
    const script = `for i in $(seq 40); do ${get("http://web/")} && ${get(`http://${taskIp}/`)} && exit 0; sleep 0.5; done; exit 1`;
    const client = await runContainer(g3, ["sh", "-c", script], "lab");
    expect(client.code).toBe(0);
    const hello = `hello-from-${onG2[0]!.Id.slice(0, 12)}`;
    expect(client.out.split("\n").filter((l) => l.trim() === hello)).toHaveLength(2);
  });

  it("loses and regains a guest's link with linkDown/linkUp", async () => {
    const [g1, , g3] = sandbox.guests as [Guest, Guest, Guest];
    await g3.linkDown();
    const cut = await g3.exec(["busybox", "ping", "-c", "1", "-W", "1", g1.ip], { reject: false });
    expect(cut.code).not.toBe(0);
    expect((await sandbox.status()).guests[2]?.link).toBe("down");
    await g3.linkUp();
    await eventually("ping after linkUp", async () => {
      const r = await g3.exec(["busybox", "ping", "-c", "1", "-W", "1", g1.ip], { reject: false });
      return r.code === 0 ? true : undefined;
    });
  });

  it("restarts a guest's dockerd; the node comes back to the swarm", async () => {
    const [g1, g2] = sandbox.guests as [Guest, Guest, Guest];
    const before = sandbox.state().guests[1]!;
    await g2.restartDocker();
    const after = sandbox.state().guests[1]!;
    expect(after.dockerd?.pid).not.toBe(before.dockerd?.pid);
    expect(after.containerd).toEqual(before.containerd);
    expect((await g2.docker.info()).Swarm.LocalNodeState).toBe("active");
    await eventually("guest-2 ready again", async () =>
      (await readyNodes(g1.docker)).length === 3 ? true : undefined,
    );
  });

  it("grows by a guest added while it runs", async () => {
    const g1 = sandbox.guest(0);
    const g4 = await sandbox.addGuest();
    expect(g4.name).toBe("guest-4");
    expect((await g4.exec(["hostname"])).stdout.trim()).toBe("guest-4");
    expect((await g4.docker.getImage(TEST_IMAGE).inspect()).RepoTags).toContain(TEST_IMAGE);
    await join(g4, g1);
    const ready = await eventually("4 ready nodes", async () => {
      const nodes = await readyNodes(g1.docker);
      return nodes.length === 4 ? nodes : undefined;
    });
    expect(ready).toEqual(["guest-1", "guest-2", "guest-3", "guest-4"]);
    expect((await sandbox.status()).healthy).toBe(true);
  });

  it("down leaves nothing: no netns, link, process, mount, directory or iptables rule", async () => {
    const g3 = sandbox.guest("guest-3");
    const sleeper = await g3.docker.createContainer({ Image: TEST_IMAGE, Cmd: ["sleep", "600"] });
    await sleeper.start();
    await eventually("the web task running again", async () => {
      const tasks = await sandbox.guest(0).docker.listTasks({ filters: { service: ["web"] } });
      return tasks.some((t) => t.Status?.State === "running") ? true : undefined;
    });
    // A task counts as running once its container started; its process may appear a moment later.
    const parts = ["dockerd", "containerd --config", "containerd-shim", "nats-server", "sleep 600", "httpd"];
    const fp = await eventually("every process of the sandbox in its footprint", async () => {
      const snapshot = footprint(sandbox.state());
      const cmds = snapshot.procs.map((p) => p.cmd).join("\n");
      return parts.every((part) => cmds.includes(part)) ? snapshot : undefined;
    });
    expect(await findLeftovers(fp)).not.toEqual([]);
    const started = Date.now();
    await sandbox.down();
    console.log(`down with 4 guests in swarm: ${Date.now() - started} ms`);
    expect(await findLeftovers(fp)).toEqual([]);
    expect(spawned?.exitCode !== null || spawned?.signalCode !== null).toBe(true);
  });
});
