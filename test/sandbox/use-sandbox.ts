import { afterAll, beforeAll } from "vitest";
import { createSandbox, type Sandbox, type SandboxOptions } from "./sandbox";

/**
 * Registers beforeAll/afterAll hooks that bring a sandbox up for the calling test file and take it
 * down after it; the returned sandbox is usable inside tests (its guests exist once beforeAll ran).
 */
export function useSandbox(opts: SandboxOptions & { timeoutMs?: number } = {}): Sandbox {
  const { timeoutMs = 120_000, ...options } = opts;
  const sandbox = createSandbox(options);
  beforeAll(async () => {
    await sandbox.up();
  }, timeoutMs);
  afterAll(async () => {
    await sandbox.down();
  }, timeoutMs);
  return sandbox;
}
