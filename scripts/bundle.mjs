// Bundles one entry point into a single ESM file for Node (used by agent, coordinator and CLI builds).
// Usage: node scripts/bundle.mjs <entry.ts> <out.mjs>
// CommonJS dependencies work through a createRequire banner; dynamic import() targets stay lazily
// evaluated inside the one file, so a command loads only what it uses.
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: node scripts/bundle.mjs <entry.ts> <out.mjs>");
  process.exit(2);
}
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node18",
  sourcemap: false,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __phoenixRequire } from 'node:module'; const require = __phoenixRequire(import.meta.url);",
  },
  // Optional native add-ons of ssh2 (pulled in by docker-modem) that are never used over a unix socket.
  external: ["cpu-features", "*.node"],
});
