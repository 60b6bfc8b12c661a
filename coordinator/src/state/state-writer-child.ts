// A child process for the state store's crash tests: it updates a state directory in a loop
// (mode "loop", killed by the test) or makes one update too large for its file size limit
// (mode "too-big", run under `prlimit --fsize`), printing one JSON line per outcome.
import { PhoenixError } from "@phoenix/errors";
import { openStateStore } from "./state-store";

const [dir, mode] = process.argv.slice(2);
const store = await openStateStore(dir!);
const services = (n: number) => Array.from({ length: n }, (_, i) => `service-${i}`);

if (mode === "loop") {
  for (let i = 1; ; i++) {
    await store.update((d) => {
      d.history.push({ at: new Date().toISOString(), action: "sync", ok: true, dockerWrites: i });
      d.environments[`dev1_stack${i % 20}`] = {
        stack: `stack${i % 20}`,
        env: "dev1",
        namespace: `dev1_stack${i % 20}`,
        deployedAt: new Date().toISOString(),
        specHash: String(i),
        status: "deployed",
        services: services(200),
        source: "model",
      };
    });
    process.stdout.write(`${JSON.stringify({ written: i })}\n`);
  }
} else if (mode === "too-big") {
  await store.update((d) => {
    d.lastSync = "2030-01-01T00:00:00.000Z";
  });
  const err = await store
    .update((d) => {
      d.environments.dev1_big = {
        stack: "big",
        env: "dev1",
        namespace: "dev1_big",
        deployedAt: "2030-01-01T00:00:00.000Z",
        specHash: "x",
        status: "deployed",
        services: services(5000),
        source: "deploy",
      };
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  const state = store.get();
  process.stdout.write(
    `${JSON.stringify({
      rejected: err instanceof PhoenixError ? { code: err.code, text: err.describe() } : String(err),
      environments: Object.keys(state.environments),
      lastSync: state.lastSync,
    })}\n`,
  );
}
