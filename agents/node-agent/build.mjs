// Bundles phoenix-agent into one ESM file: dist/phoenix-agent.mjs (run with `node phoenix-agent.mjs`).
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, "dist", "phoenix-agent.mjs");
mkdirSync(dirname(outfile), { recursive: true });

// Modules the agent never runs are replaced by stubs that refuse, which keeps the bundle free of
// native code and the process smaller: dockerode's SSH transport (ssh2 and its optional native
// addons; the agent only talks to a local unix socket), and grpc-js with proto-loader/protobufjs,
// which dockerode requires only for BuildKit image-build sessions, which the agent never runs (the
// agent's own gRPC stream is @phoenix/proto's openBidiStream over node:http2).
const UNUSED = /^(ssh2|cpu-features|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)$/;
const unused = {
  name: "unused",
  setup(b) {
    b.onResolve({ filter: UNUSED }, (args) => ({ path: args.path, namespace: "unused" }));
    b.onLoad({ filter: /.*/, namespace: "unused" }, (args) => ({
      contents:
        `const refuse = () => { throw new Error("${args.path} is not available in phoenix-agent"); };\n` +
        "module.exports = { Client: refuse, loadSync: refuse, Server: refuse };",
      loader: "js",
    }));
  },
};

await build({
  entryPoints: [join(here, "src", "cli.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node18",
  splitting: false,
  // Smaller source is less memory: the whole file stays in the heap while the agent runs.
  minify: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [unused],
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __phoenixCreateRequire } from "node:module";',
      'import { fileURLToPath as __phoenixFileURLToPath } from "node:url";',
      'import { dirname as __phoenixDirname } from "node:path";',
      "const require = __phoenixCreateRequire(import.meta.url);",
      "const __filename = __phoenixFileURLToPath(import.meta.url);",
      "const __dirname = __phoenixDirname(__filename);",
    ].join("\n"),
  },
});
console.log(`${outfile} (${(statSync(outfile).size / 1024 / 1024).toFixed(1)} MiB)`);
