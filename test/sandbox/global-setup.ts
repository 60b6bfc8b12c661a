import { sweepStaleSandboxes } from "./sweep";

/**
 * Vitest globalSetup: takes down sandboxes left by crashed runs before the tests start, and those of
 * this run's crashed workers when it ends. Live sandboxes of other runs are left alone.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await sweepStaleSandboxes();
  return async () => {
    await sweepStaleSandboxes();
  };
}
