import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { AGENT_BUNDLE } from "./bundle";

/**
 * This machine's inventory as phoenix-agent collects it (`phoenix-agent inventory --json`), in
 * protobuf JSON, read through the Docker socket given (an unreachable one reports Docker as such).
 */
export async function captureInventory(dockerSocket: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [AGENT_BUNDLE, "inventory", "--json", "--docker-socket", dockerSocket],
    { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}
