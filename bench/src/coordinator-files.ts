import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** What a coordinator process needs on disk, and the flags that point it there. */
export interface CoordinatorFiles {
  modelDir: string;
  stateDir: string;
  enrollmentToken: string;
  enrollmentTokenFile: string;
  apiTokenFile: string;
  /** phoenix-coordinator flags for these files, listening on `listen`, plus `extra`. */
  flags(listen: string, extra?: readonly string[]): string[];
}

/** A model with no guests: every agent that connects is known but not part of the model (adopt: none). */
export function emptyModel(cluster: string): Record<string, string> {
  return {
    "etc/phoenix_cluster.json": JSON.stringify({
      name: cluster,
      swarm: { managers: "auto", adopt: "none" },
      environments: ["bench"],
    }),
    "etc/phoenix_vm_configs.json": JSON.stringify({ vms: [] }),
    "etc/phoenix_lxc_configs.json": JSON.stringify({ lxc_configs: [] }),
  };
}

/** Writes a model, a state directory and fresh token files under `dir`. */
export async function prepareCoordinator(
  dir: string,
  model: Record<string, string>,
): Promise<CoordinatorFiles> {
  const modelDir = join(dir, "model");
  const stateDir = join(dir, "state");
  for (const [path, text] of Object.entries(model)) {
    await mkdir(dirname(join(modelDir, path)), { recursive: true });
    await writeFile(join(modelDir, path), text);
  }
  await mkdir(stateDir, { recursive: true });
  const enrollmentToken = randomBytes(16).toString("hex");
  const enrollmentTokenFile = join(dir, "enrollment.token");
  const apiTokenFile = join(dir, "api.token");
  await writeFile(enrollmentTokenFile, `${enrollmentToken}\n`, { mode: 0o600 });
  await writeFile(apiTokenFile, `${randomBytes(16).toString("hex")}\n`, { mode: 0o600 });
  return {
    modelDir,
    stateDir,
    enrollmentToken,
    enrollmentTokenFile,
    apiTokenFile,
    flags: (listen, extra = []) => [
      "--model",
      modelDir,
      "--state-dir",
      stateDir,
      "--listen",
      listen,
      "--http-listen",
      "off",
      "--enrollment-token-file",
      enrollmentTokenFile,
      "--api-token-file",
      apiTokenFile,
      ...extra,
    ],
  };
}

/** The gRPC address in a "coordinator listening" log line of phoenix-coordinator, if it is one. */
export function listeningAddress(line: string): string | undefined {
  try {
    const rec = JSON.parse(line) as { msg?: string; grpc?: string };
    return rec.msg === "coordinator listening" ? rec.grpc : undefined;
  } catch {
    return undefined;
  }
}
