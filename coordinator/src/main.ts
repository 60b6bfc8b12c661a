import { fileURLToPath } from "node:url";
import { runCli } from "./cli";
import { defaultAssetPaths } from "./config";
import { startCoordinator } from "./coordinator";

runCli({
  argv: process.argv.slice(2),
  env: process.env,
  assets: defaultAssetPaths(fileURLToPath(import.meta.url)),
  start: startCoordinator,
}).then(
  (code) => {
    // Let pino's stderr writes drain before leaving.
    process.exitCode = code;
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err) => {
    process.stderr.write(`phoenix-coordinator: unexpected failure: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
