import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcRef } from "./procfs";

/** What a sandbox created for one guest; written before each thing is created so `down` finds it after a crash. */
export interface GuestState {
  name: string;
  /** 1-based; the guest's address is `<subnet>.<index + 1>`. */
  index: number;
  ip: string;
  /** Network namespace name, under /var/run/netns. */
  netns: string;
  /** Host side of the guest's veth pair, enslaved to the bridge. */
  veth: string;
  dir: string;
  /** Extra dockerd settings (daemon.json keys) given for this guest. */
  daemonConfig: Record<string, unknown>;
  /** containerd and dockerd run in a mount namespace of their own (GuestSpec.privateDirs). */
  privateDirs?: boolean | undefined;
  containerd?: ProcRef | undefined;
  dockerd?: ProcRef | undefined;
}

/** A process started inside a guest with `guest.spawn`, killed at `down`. */
export interface SpawnedState extends ProcRef {
  guest: string;
  command: string;
}

/** The state file of one sandbox: everything `down` needs, from any process. */
export interface SandboxState {
  version: 1;
  name: string;
  dir: string;
  createdAt: string;
  /** The process that brought it up; when it is dead and `keep` is false the sandbox is stale. */
  owner: ProcRef | undefined;
  /** Left running on purpose (the shell `up`); only an explicit `down` removes it. */
  keep: boolean;
  slot?: number | undefined;
  bridge?: string | undefined;
  /** e.g. 10.213.4.0/24 */
  subnet?: string | undefined;
  /** The host's address on the bridge (`.1`): guests reach host processes there. */
  bridgeIp?: string | undefined;
  /** Arguments of the iptables FORWARD rule after `-I`/`-D FORWARD`. */
  iptablesRule?: string[] | undefined;
  nats?: { dir: string; port?: number | undefined; proc?: ProcRef | undefined } | undefined;
  image: boolean;
  guests: GuestState[];
  spawned: SpawnedState[];
}

/** Path of a sandbox's state file. */
export function statePath(dir: string): string {
  return join(dir, "state.json");
}

/** Reads a JSON state file; undefined when it does not exist or cannot be parsed. */
export function readJsonFile<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Writes a JSON state file atomically (temp file + rename), so a reader never sees half of it. */
export function writeJsonFile(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Reads a state file; undefined when it does not exist or cannot be parsed. */
export function readState(dir: string): SandboxState | undefined {
  return readJsonFile<SandboxState>(statePath(dir));
}

/** Writes a state file atomically (temp file + rename). */
export function writeState(state: SandboxState): void {
  writeJsonFile(statePath(state.dir), state);
}

/** Directories of all sandboxes under the root, with their state when readable. */
export function listSandboxDirs(
  root: string,
): { name: string; dir: string; state: SandboxState | undefined }[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const dir = join(root, e.name);
      return { name: e.name, dir, state: readState(dir) };
    });
}
