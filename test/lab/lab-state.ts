import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ProcRef } from "../sandbox/procfs";
import { readJsonFile, type SandboxState, writeJsonFile } from "../sandbox/state";

/** One agent of a lab: its guest, identity, config file, log and process. */
export interface AgentState {
  guest: string;
  vmid?: number | undefined;
  /** nvidia-smi capture the guest's simulated GPU prints (absent: no GPU). */
  gpu?: string | undefined;
  config: string;
  log: string;
  proc?: ProcRef | undefined;
  /** When the current process was started (ms since the epoch). */
  startedAt?: number | undefined;
}

/**
 * The state file of one lab: everything `down`, `status` and another process need. Owner and `keep`
 * mean what they mean for a sandbox: a lab whose owner died and that was not kept is stale.
 */
export interface LabState
  extends Pick<SandboxState, "version" | "name" | "dir" | "createdAt" | "owner" | "keep"> {
  /** Name of the sandbox the lab runs on (same as the lab's). */
  sandbox: string;
  modelDir: string;
  stateDir: string;
  logDir: string;
  tokens: { enrollment: string; api: string; readOnly: string };
  coordinator: {
    host: string;
    port: number;
    httpPort: number;
    /** Arguments after the bundle path. */
    args: string[];
    log: string;
    proc?: ProcRef | undefined;
  };
  agents: Record<string, AgentState>;
}

/** Path of a lab's state file. */
export function labStatePath(dir: string): string {
  return join(dir, "lab.json");
}

/** Reads a lab's state file; undefined when absent or unreadable. */
export function readLabState(dir: string): LabState | undefined {
  return readJsonFile<LabState>(labStatePath(dir));
}

/** Writes a lab's state file atomically. */
export function writeLabState(state: LabState): void {
  writeJsonFile(labStatePath(state.dir), state);
}

/** Every lab directory under a root (not the hidden ones being made), with its state when readable. */
export function listLabDirs(root: string): { name: string; dir: string; state: LabState | undefined }[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => ({ name: e.name, dir: join(root, e.name), state: readLabState(join(root, e.name)) }));
}
