import { readdir } from "node:fs/promises";
import { PhoenixError } from "@phoenix/errors";
import { classifyNvidiaSmiFailure, type NvidiaSmiFailureReason } from "./nvidia-smi-failure";
import { parseNvidiaSmiList, withMigProfiles } from "./nvidia-smi-list";
import { type NvidiaSmiReport, parseNvidiaSmiXml } from "./nvidia-smi-xml";
import { oneLine } from "./one-line";
import { runCommand } from "./run-command";

/** Where and how to run nvidia-smi. */
export interface NvidiaSmiOptions {
  /** Binary or script to run; a script that prints a captured file simulates a GPU guest. Default "nvidia-smi". */
  path?: string;
  /** Per-invocation timeout. Default 10 s. */
  timeoutMs?: number;
  /** Directory holding the nvidia device nodes. Default "/dev". */
  devDir?: string;
}

/** What nvidia-smi said: no NVIDIA tooling, a parsed report, or an error (possibly with the GPUs it still listed). */
export type NvidiaSmiResult =
  | { state: "none" }
  | { state: "ok"; report: NvidiaSmiReport }
  | {
      state: "error";
      reason: NvidiaSmiFailureReason | "unparsable";
      message: string;
      report?: NvidiaSmiReport;
    };

/** Default time nvidia-smi gets before it is killed. */
export const NVIDIA_SMI_TIMEOUT_MS = 10_000;

/**
 * Runs `nvidia-smi -q -x` (and `nvidia-smi -L` when MIG devices exist, for their profile names) and says what
 * it found. Never throws for anything nvidia-smi does: a missing binary is "none", everything else "error".
 * Only nvidia-smi and /dev/nvidia* count; the PCI bus is never read, so a container never reports the host's GPUs.
 */
export async function runNvidiaSmi(opts: NvidiaSmiOptions = {}): Promise<NvidiaSmiResult> {
  const path = opts.path ?? "nvidia-smi";
  const timeoutMs = opts.timeoutMs ?? NVIDIA_SMI_TIMEOUT_MS;
  const r = await runCommand(path, ["-q", "-x"], { timeoutMs });
  if (r.timedOut) {
    return { state: "error", reason: "timeout", message: `nvidia-smi did not answer within ${timeoutMs} ms` };
  }
  if (r.exitCode !== 0) {
    const failure = classifyNvidiaSmiFailure(r.exitCode, r.stdout, r.stderr, r.code);
    if (failure.state === "none") return noBinary(path, opts.devDir ?? "/dev");
    const partial = tryParse(r.stdout);
    return partial && partial.gpus.length > 0 ? { ...failure, report: partial } : failure;
  }
  let report: NvidiaSmiReport;
  try {
    report = parseNvidiaSmiXml(r.stdout);
  } catch (err) {
    return { state: "error", reason: "unparsable", message: oneLine(PhoenixError.from(err).message) };
  }
  if (report.gpus.some((g) => g.migDevices.length > 0)) {
    const list = await runCommand(path, ["-L"], { timeoutMs });
    if (list.exitCode === 0) report = withMigProfiles(report, parseNvidiaSmiList(list.stdout));
  }
  return { state: "ok", report };
}

function tryParse(stdout: string): NvidiaSmiReport | undefined {
  try {
    return parseNvidiaSmiXml(stdout);
  } catch {
    return undefined;
  }
}

// No nvidia-smi: no GPUs, unless device nodes say a GPU was passed in and only the tool is missing.
async function noBinary(path: string, devDir: string): Promise<NvidiaSmiResult> {
  const nodes = await nvidiaDeviceNodes(devDir);
  if (nodes.length === 0) return { state: "none" };
  return {
    state: "error",
    reason: "failed",
    message: `${devDir}/${nodes[0]} is present but nvidia-smi (${path}) was not found`,
  };
}

/** Names of the per-GPU device nodes (nvidia0, nvidia1, ...) in a /dev directory. */
export async function nvidiaDeviceNodes(devDir: string): Promise<string[]> {
  try {
    return (await readdir(devDir)).filter((n) => /^nvidia\d+$/.test(n)).sort();
  } catch {
    return [];
  }
}
