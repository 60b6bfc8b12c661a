// Bundles one entry point into ESM for Node (used by agent, coordinator and CLI builds).
// Usage: node scripts/bundle.mjs [--split] <entry.ts> <out.mjs>
// CommonJS dependencies work through a createRequire banner. Without --split everything is one
// file, and dynamic import() targets stay lazily evaluated inside it. With --split, what is only
// reached through a dynamic import() goes to chunk files in `chunks/` beside <out.mjs>, so a
// process neither parses nor evaluates the code of the paths it does not take.
import { rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { build } from "esbuild";

const args = process.argv.slice(2);
const split = args[0] === "--split";
const [entry, outfile] = split ? args.slice(1) : args;
if (!entry || !outfile?.endsWith(".mjs")) {
  console.error("usage: node scripts/bundle.mjs [--split] <entry.ts> <out.mjs>");
  process.exit(2);
}
const outdir = dirname(outfile);
const output = split
  ? {
      entryPoints: [{ in: entry, out: basename(outfile, ".mjs") }],
      outdir,
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      outExtension: { ".js": ".mjs" },
    }
  : { entryPoints: [entry], outfile };
// Chunks of an earlier build would pile up beside the new ones (their names carry a content hash).
if (split) rmSync(join(outdir, "chunks"), { recursive: true, force: true });
await build({
  ...output,
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
