import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { createLab, type Lab } from "../../../test/lab";
import { preflight } from "../../../test/sandbox/preflight";
import { ROOT } from "../bundle";

/** The benchmark's model: a manager, a GPU worker, a second GPU worker booted later, the 10-service stack. */
export const BENCH_MODEL = join(ROOT, "bench/model");
/** The stack both deploy tools get. */
export const STACK = "webshop";
export const ENV = "bench";
/** Captures the simulated GPUs print (packages/hardware/fixtures/nvidia-smi). */
export const GPU1_CAPTURE = "tesla-t4-passthrough-515.xml";
export const GPU2_CAPTURE = "a100-sxm4-80gb-mig-535.xml";

/** Why the lab cannot run here (not root, a program missing), or undefined when it can. */
export function labUnavailable(): string | undefined {
  try {
    preflight({ nats: true, image: true });
    return undefined;
  } catch (err) {
    return `no sandbox on this machine: ${(err as Error).message}`;
  }
}

/** The pid of a lab guest's dockerd (its pidfile in the guest's directory); undefined when it has none. */
export function dockerdPid(guestDir: string): number | undefined {
  try {
    return Number(readFileSync(join(guestDir, "docker.pid"), "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` every `everyMs` until it returns a value; resolves with it and the milliseconds since
 * `since` (performance.now()). Throws `what` after `timeoutMs`.
 */
export async function pollFrom<T>(
  since: number,
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs: number,
  everyMs = 25,
): Promise<{ value: T; ms: number }> {
  for (;;) {
    const value = await check();
    const ms = performance.now() - since;
    if (value !== undefined) return { value, ms };
    if (ms > timeoutMs) throw new Error(`timed out after ${(ms / 1000).toFixed(0)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A swarm node by hostname, as the manager's API reports it (GET /nodes: what `docker node inspect` reads). */
export async function nodeByHostname(manager: Docker, hostname: string): Promise<Docker.Node | undefined> {
  const nodes = (await manager.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
  const id = nodes.find((n) => n.Description?.Hostname === hostname)?.ID;
  return id ? manager.getNode(id) : undefined;
}

/** A swarm node's labels (GET /nodes/<id>). */
export async function nodeLabels(node: Docker.Node): Promise<Record<string, string>> {
  const info = (await node.inspect()) as { Spec?: { Labels?: Record<string, string> } };
  return info.Spec?.Labels ?? {};
}

/**
 * Brings up the lab (test/lab: sandbox guests `mgr` and `gpu1` with their own dockerd, nats-server,
 * the coordinator bundle, an agent bundle per guest) on the benchmark's model and converges it with
 * `phoenix sync all`: swarm on mgr, gpu1 joined and labelled, the environment network.
 */
export async function startBenchLab(say: (line: string) => void): Promise<Lab> {
  const lab = createLab({
    name: `bench-${randomBytes(3).toString("hex")}`,
    guests: [{ name: "mgr" }, { name: "gpu1", gpu: GPU1_CAPTURE }],
    model: BENCH_MODEL,
    onStep: (line) => say(`lab: ${line}`),
  });
  await lab.up();
  try {
    const sync = await lab.phoenix(["sync", "all"], { timeoutMs: 120_000 });
    if (sync.code !== 0)
      throw new Error(`phoenix sync all exited ${sync.code}: ${sync.stderr || sync.stdout}`);
    const manager = lab.guest("mgr").docker;
    await pollFrom(
      performance.now(),
      async () => {
        const node = await nodeByHostname(manager, "gpu1");
        return node && (await nodeLabels(node))["phoenix.gpu.present"] === "true" ? true : undefined;
      },
      "gpu1 labelled after the first sync",
      60_000,
      200,
    );
  } catch (err) {
    await lab.down().catch(() => {});
    throw err;
  }
  return lab;
}
