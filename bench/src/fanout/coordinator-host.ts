/**
 * The coordinator as phoenix-coordinator runs it (same config loading, startCoordinator, gRPC
 * server, registry, events, API), with an IPC channel to the benchmark: the benchmark asks it for
 * registry counts and to fan a ping out to every connected agent through the registry, the way the
 * coordinator sends any command. Run as a bundle, in its own process, so its RSS and CPU are the
 * coordinator's.
 */
import { fileURLToPath } from "node:url";
import { createLogger, defaultAssetPaths, loadConfig, startCoordinator } from "@phoenix/coordinator";
import type { HostReply, HostRequest } from "./messages";

const reply = (m: HostReply) => process.send!(m);

async function main(): Promise<void> {
  const parsed = loadConfig(
    process.argv.slice(2),
    process.env,
    defaultAssetPaths(fileURLToPath(import.meta.url)),
  );
  if (parsed.kind !== "run") throw new Error("coordinator-host needs a configuration, not --help");
  const logger = createLogger(parsed.config.logLevel);
  const coordinator = await startCoordinator(parsed.config, logger);
  const { registry } = coordinator;
  const payload = new Uint8Array(16);

  const ping = async (timeoutMs: number) => {
    const targets = registry
      .list()
      .filter((a) => a.connected)
      .map((a) => a.agentId);
    const rtts: number[] = [];
    let failures = 0;
    let firstFailure: string | undefined;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      targets.map((id) =>
        registry.send(id, { case: "ping", value: { payload } }, { timeoutMs }).then(
          () => void rtts.push(performance.now() - start),
          (err: Error) => {
            failures++;
            firstFailure ??= err.message;
          },
        ),
      ),
    );
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    reply({ type: "pinged", rtts, wallMs, cpuMs, failures, ...(firstFailure ? { firstFailure } : {}) });
  };

  process.on("message", (m: HostRequest) => {
    const run = async () => {
      switch (m.type) {
        case "stats":
          return reply({ type: "stats", ...registry.stats() });
        case "ping":
          return ping(m.timeoutMs);
        case "stop":
          await coordinator.stop("benchmark done");
          process.exit(0);
      }
    };
    run().catch((err: Error) => reply({ type: "error", error: err.stack ?? err.message }));
  });
  process.on("disconnect", () => process.exit(0));
  const a = coordinator.address;
  reply({ type: "ready", address: `${a.host}:${a.port}` });
}

main().catch((err: Error) => {
  process.stderr.write(`coordinator-host: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
