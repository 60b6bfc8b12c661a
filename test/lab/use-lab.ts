import { afterAll, beforeAll, beforeEach } from "vitest";
import { createLab, type Lab, type LabOptions } from "./lab";

/**
 * Registers hooks that bring a lab up before the calling test file and take it down after it; the
 * processes' logs are printed once, at the first failing test (or a failed `up`).
 */
export function useLab(opts: LabOptions & { timeoutMs?: number }): Lab {
  const { timeoutMs = 240_000, ...options } = opts;
  let printed = false;
  const print = (logs: string) => {
    if (printed) return;
    printed = true;
    process.stderr.write(`\n---- logs of lab ${lab.name} ----\n${logs}\n---- end of logs ----\n`);
  };
  const lab = createLab({ ...options, onFailure: print });
  beforeAll(async () => {
    await lab.up();
  }, timeoutMs);
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => print(lab.logs()));
  });
  afterAll(async () => {
    await lab.down();
  }, timeoutMs);
  return lab;
}
