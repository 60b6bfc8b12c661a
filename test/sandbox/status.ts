import { existsSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { isAlive } from "./procfs";
import { runCommand } from "./run-command";
import type { SandboxState } from "./state";

/** What runs of one guest. */
export interface GuestStatus {
  name: string;
  ip: string;
  netns: string;
  netnsExists: boolean;
  dockerHost: string;
  /** The Docker API answers a ping. */
  docker: boolean;
  containerd: boolean;
  /** State of the guest's veth on the host side. */
  link: "up" | "down" | "missing";
}

/** What runs of one sandbox. */
export interface SandboxStatus {
  name: string;
  dir: string;
  createdAt: string;
  keep: boolean;
  /** The process that brought it up (absent for a kept sandbox). */
  owner: { pid: number; alive: boolean } | undefined;
  /** Its owner died without taking it down: `sweep` removes it. */
  stale: boolean;
  bridge: string | undefined;
  bridgeIp: string | undefined;
  subnet: string | undefined;
  nats: { url: string; localUrl: string; running: boolean } | undefined;
  guests: GuestStatus[];
  /** Every part runs. */
  healthy: boolean;
}

async function pingDocker(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  try {
    await new Docker({ socketPath, timeout: 2_000 }).ping();
    return true;
  } catch {
    return false;
  }
}

async function linkState(name: string): Promise<GuestStatus["link"]> {
  const r = await runCommand("ip", ["-j", "link", "show", "dev", name], { reject: false });
  if (r.code !== 0) return "missing";
  const [link] = JSON.parse(r.stdout) as { flags?: string[] }[];
  return link?.flags?.includes("UP") ? "up" : "down";
}

/** A sandbox's status from its state file and the live system. */
export async function sandboxStatus(state: SandboxState): Promise<SandboxStatus> {
  const guests = await Promise.all(
    state.guests.map(async (g): Promise<GuestStatus> => {
      const socketPath = join(g.dir, "docker.sock");
      return {
        name: g.name,
        ip: g.ip,
        netns: g.netns,
        netnsExists: existsSync(`/var/run/netns/${g.netns}`),
        dockerHost: `unix://${socketPath}`,
        docker: await pingDocker(socketPath),
        containerd: g.containerd !== undefined && isAlive(g.containerd),
        link: await linkState(g.veth),
      };
    }),
  );
  const ownerAlive = state.owner !== undefined && isAlive(state.owner);
  const port = state.nats?.port;
  const nats =
    state.nats && port !== undefined && state.bridgeIp
      ? {
          url: `nats://${state.bridgeIp}:${port}`,
          localUrl: `nats://127.0.0.1:${port}`,
          running: state.nats.proc !== undefined && isAlive(state.nats.proc),
        }
      : undefined;
  const healthy =
    guests.every((g) => g.netnsExists && g.docker && g.containerd && g.link === "up") &&
    (state.nats === undefined || nats?.running === true);
  return {
    name: state.name,
    dir: state.dir,
    createdAt: state.createdAt,
    keep: state.keep,
    owner: state.owner ? { pid: state.owner.pid, alive: ownerAlive } : undefined,
    stale: !state.keep && !ownerAlive,
    bridge: state.bridge,
    bridgeIp: state.bridgeIp,
    subnet: state.subnet,
    nats,
    guests,
    healthy,
  };
}
