import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { sandboxRoot } from "./constants";
import { findLeftovers, footprint } from "./leftovers";
import { listNetns } from "./network";
import { isAlive } from "./procfs";
import { runCommand } from "./run-command";
import { createSandbox, type Sandbox } from "./sandbox";
import { readState, writeState } from "./state";
import type { SandboxStatus } from "./status";
import { isStale } from "./sweep";
import { useSandbox } from "./use-sandbox";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Runs the sandbox CLI in its own process, as `npm run sandbox -- ...` does. */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return runCommand(process.execPath, ["--import", tsx, here("./cli.ts"), ...args], { reject: false, env });
}

describe("sandbox lifecycle", () => {
  const other = useSandbox({ guests: 1, nats: false, image: false });

  it("after its process is SIGKILLed, `down` from another process leaves nothing and spares other sandboxes", async () => {
    const name = `crash-${process.pid}`;
    const child = spawn(process.execPath, ["--import", tsx, here("./fixtures/crash-up.ts"), name], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const ready = await new Promise<boolean>((resolve) => {
      child.stdout.on("data", (b: Buffer) => b.toString().includes("READY") && resolve(true));
      child.once("exit", () => resolve(false));
    });
    expect(ready).toBe(true);
    child.kill("SIGKILL");
    await exited;

    const state = readState(join(sandboxRoot(), name))!;
    expect(state.owner?.pid).toBe(child.pid);
    expect(isStale(state)).toBe(true);
    expect([state.subnet, state.bridge, state.dir]).not.toEqual([other.subnet, other.bridge, other.dir]);
    expect(state.subnet).not.toBe(other.subnet);
    expect(state.bridge).not.toBe(other.bridge);
    const fp = footprint(state);
    const cmds = fp.procs.map((p) => p.cmd).join("\n");
    for (const part of ["dockerd", "containerd --config", "containerd-shim", "nats-server", "sleep 600"]) {
      expect(cmds).toContain(part);
    }

    const status = await cli(["status", "--name", name, "--json"]);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as SandboxStatus;
    expect([parsed.stale, parsed.healthy, parsed.guests.length]).toEqual([true, true, 2]);

    const down = await cli(["down", "--name", name]);
    expect(down.stderr).toBe("");
    expect(down.code).toBe(0);
    expect(await findLeftovers(fp)).toEqual([]);

    const survivor = await other.status();
    expect(survivor.healthy).toBe(true);
    expect((await other.guest(0).exec(["hostname"])).stdout.trim()).toBe("guest-1");
  });

  it("a failed up takes down what it made and says why", async () => {
    const name = `broken-${process.pid}`;
    const sandbox = createSandbox({
      name,
      guests: [{ daemonConfig: { "no-such-option": true } }],
      nats: false,
    });
    const err = await sandbox.up().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PhoenixError);
    expect((err as PhoenixError).code).toBe(ErrorCode.DOCKER);
    expect((err as PhoenixError).describe()).toMatch(
      /node guest-1: dockerd exited while starting:[\s\S]*no-such-option/,
    );
    const dir = join(sandboxRoot(), name);
    expect(existsSync(dir)).toBe(false);
    const leftovers = await findLeftovers({
      name,
      dir,
      bridge: undefined,
      veths: [],
      netns: [`phsb-${name}-guest-1`],
      procs: [],
    });
    expect(leftovers).toEqual([]);
  });

  it("gives sandboxes started at once their own slot, subnet, bridge and directory", async () => {
    const pair = [0, 1].map(() => createSandbox({ guests: 1, nats: false, image: false }));
    try {
      await Promise.all(pair.map((s) => s.up()));
      const [a, b] = pair as [Sandbox, Sandbox];
      expect(new Set([a.subnet, b.subnet, other.subnet]).size).toBe(3);
      expect(new Set([a.bridge, b.bridge, other.bridge]).size).toBe(3);
      expect(a.dir).not.toBe(b.dir);
      await a.guest(0).exec(["busybox", "ping", "-c", "1", "-W", "2", a.bridgeIp]);
      const across = await a
        .guest(0)
        .exec(["busybox", "ping", "-c", "1", "-W", "1", b.guest(0).ip], { reject: false });
      expect(across.code).not.toBe(0);
    } finally {
      await Promise.all(pair.map((s) => s.down()));
    }
  });

  it("replaces a stale sandbox of the same name (its owner died) instead of refusing", async () => {
    const name = `stale-${process.pid}`;
    const first = createSandbox({ name, guests: 1, nats: false, image: false });
    await first.up();
    const dead = await runCommand("sh", ["-c", "echo $$"]);
    const state = readState(first.dir)!;
    writeState({ ...state, owner: { pid: Number(dead.stdout.trim()), start: 0 } });
    const fp = footprint(state);
    const second = createSandbox({ name, guests: 1, nats: false, image: false });
    try {
      await second.up();
      for (const p of fp.procs) expect(isAlive(p)).toBe(false);
      expect(second.guest(0).netns).toBe(fp.netns[0]);
      expect((await second.status()).healthy).toBe(true);
    } finally {
      await second.down();
    }
    expect(await findLeftovers(fp)).toEqual([]);
  });

  it("down --all takes down every sandbox of its root and orphans, and spares sandboxes in use elsewhere", async () => {
    const root = mkdtempSync("/tmp/phsb-root-");
    const orphan = `phsb-orphan-${process.pid}`;
    await runCommand("ip", ["netns", "add", orphan]);
    const saved = process.env.PHOENIX_SANDBOX_ROOT;
    process.env.PHOENIX_SANDBOX_ROOT = root;
    try {
      const pair = [
        createSandbox({ guests: 1, nats: false, image: false }),
        createSandbox({ guests: 2, image: false, keep: true }),
      ];
      await Promise.all(pair.map((s) => s.up()));
      const fps = pair.map((s) => footprint(s.state()));
      const r = await cli(["down", "--all"], { ...process.env, PHOENIX_SANDBOX_ROOT: root });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(pair[0]!.name);
      expect(r.stderr).toContain(`"netns":"${orphan}","msg":"deleting an orphan sandbox namespace"`);
      for (const fp of fps) expect(await findLeftovers(fp)).toEqual([]);
      expect(await listNetns()).not.toContain(orphan);
      expect((await other.status()).healthy).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.PHOENIX_SANDBOX_ROOT;
      else process.env.PHOENIX_SANDBOX_ROOT = saved;
      await runCommand("ip", ["netns", "del", orphan], { reject: false });
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("refuses bad names at once, and a name in use", async () => {
    expect(() => createSandbox({ name: "Bad Name" })).toThrow(/sandbox name "Bad Name"/);
    const twice = (() => {
      try {
        createSandbox({ guests: [{ name: "a" }, { name: "a" }] });
      } catch (e) {
        return (e as PhoenixError).describe();
      }
    })();
    expect(twice).toBe("node a: guest name is used twice");
    expect(() => createSandbox({ guests: 0 })).toThrow(/from 1 to 253/);
    const twin = createSandbox({ name: other.name, guests: 1 });
    await expect(twin.up()).rejects.toThrow(/already exists/);
    expect((await other.status()).healthy).toBe(true);
  });

  it("the CLI says what it needs", async () => {
    const noName = await cli(["down"]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/down needs --name X or --all/);
    const unknown = await cli(["status", "--name", "no-such-sandbox"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no sandbox named no-such-sandbox/);
  });
});
