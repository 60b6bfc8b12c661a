import { oneLine } from "./one-line";

/** Why nvidia-smi could not report GPUs. */
export type NvidiaSmiFailureReason =
  | "driver-not-loaded"
  | "no-devices"
  | "version-mismatch"
  | "nvml-error"
  | "timeout"
  | "failed";

/** The outcome of a failed nvidia-smi run: no NVIDIA tooling at all, or an error worth reporting. */
export type NvidiaSmiFailure =
  | { state: "none" }
  | { state: "error"; reason: NvidiaSmiFailureReason; message: string };

const REASONS: ReadonlyArray<[RegExp, NvidiaSmiFailureReason]> = [
  [/couldn'?t communicate with the NVIDIA driver/i, "driver-not-loaded"],
  [/No devices were found/i, "no-devices"],
  [/Driver\/library version mismatch/i, "version-mismatch"],
  [/Failed to initialize NVML/i, "nvml-error"],
];

/**
 * Classifies a failed nvidia-smi run from its exit status and output. A missing binary (spawn ENOENT, or
 * status 127 with a shell's "not found") means "no NVIDIA GPUs here", not an error; everything else is an error with
 * nvidia-smi's own words, trimmed to one line.
 */
export function classifyNvidiaSmiFailure(
  exitCode: number | undefined,
  stdout: string,
  stderr: string,
  spawnErrorCode?: string,
): NvidiaSmiFailure {
  const text = [stdout, stderr].filter((s) => s.trim() !== "").join("\n");
  if (spawnErrorCode === "ENOENT" || (exitCode === 127 && /not found/i.test(text))) return { state: "none" };
  const reason = REASONS.find(([re]) => re.test(text))?.[1] ?? "failed";
  const said = oneLine(text);
  const status = exitCode === undefined ? (spawnErrorCode ?? "unknown status") : `exit status ${exitCode}`;
  return { state: "error", reason, message: said ? said : `nvidia-smi failed (${status}) without output` };
}
