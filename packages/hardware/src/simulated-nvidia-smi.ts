import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What a simulated nvidia-smi prints: a real capture for `-q -x`, optionally one for `-L`, or a failure. */
export interface SimulatedNvidiaSmi {
  /** File printed for `-q -x` (and for any other arguments when no list file is given). */
  xmlFile?: string;
  /** File printed for `-L`. */
  listFile?: string;
  /** File printed (on stdout, like nvidia-smi does) before exiting with exitCode. */
  failureFile?: string;
  /** Exit status; default 0, or 9 with a failure file. */
  exitCode?: number;
}

/** Absolute path of a capture kept in packages/hardware/fixtures/nvidia-smi, e.g. "a100-sxm4-80gb-mig-535.xml". */
export function nvidiaSmiFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/nvidia-smi/${name}`, import.meta.url));
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Writes an executable `nvidia-smi` script into dir that prints recorded output: the one fake Phoenix uses,
 * a GPU guest on a machine without a GPU. Returns the script's path.
 */
export async function writeSimulatedNvidiaSmi(dir: string, sim: SimulatedNvidiaSmi): Promise<string> {
  const path = join(dir, "nvidia-smi");
  const lines = ["#!/bin/sh"];
  if (sim.failureFile) {
    lines.push(`cat ${quote(sim.failureFile)}`, `exit ${sim.exitCode ?? 9}`);
  } else {
    if (sim.listFile) lines.push(`case " $* " in *" -L "*) cat ${quote(sim.listFile)}; exit 0;; esac`);
    if (sim.xmlFile) lines.push(`cat ${quote(sim.xmlFile)}`);
    lines.push(`exit ${sim.exitCode ?? 0}`);
  }
  await writeFile(path, `${lines.join("\n")}\n`);
  await chmod(path, 0o755);
  return path;
}
