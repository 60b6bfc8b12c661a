#!/usr/bin/env bash
# Runs every Phoenix test on this machine after setting it up: protocol freshness, lint, types,
# unit tests, the sandbox suites (real dockerd guests in network namespaces, real nats-server,
# real gRPC), then the quick benchmarks. Needs root for the sandbox (network namespaces, dockerd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

failed=()
stage() { # name, command...: runs every stage, remembers which failed
  local name=$1; shift
  echo "==> $name"
  if ! "$@"; then failed+=("$name"); fi
}

check_generated() {
  npm run generate --silent || return 1
  if [ -n "$(git status --porcelain -- packages/proto/src/gen)" ]; then
    git status --short -- packages/proto/src/gen
    echo "generated protocol code is stale: run 'npm run generate' and commit packages/proto/src/gen" >&2
    return 1
  fi
}

stage "protocol: generated code is current and buf lint is clean" check_generated
stage "lint (biome)" npx biome check .
stage "types (tsc)" npx tsc -p tsconfig.json

echo "==> sweep sandboxes whose owner process died (a crashed earlier run)"
npm run --silent sandbox -- sweep

results=$(mktemp -d)
stage "unit tests" npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json"
stage "sandbox tests" npx vitest run --project sandbox --reporter=default --reporter=json --outputFile="$results/sandbox.json"
stage "benchmarks, quick run (fails only 5x past a budget on this shared machine; see bench/README.md)" env PHOENIX_BENCH_CI_FACTOR=5 npm run --silent bench -- --quick

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
  }
  const named = [];
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
    for (const file of r.testResults) {
      for (const t of file.assertionResults) {
        if (t.status !== "failed") continue;
        const why = (t.failureMessages[0] || "").split("\n")[0].slice(0, 300);
        named.push(`  ${file.name.replace(process.cwd() + "/", "")} > ${t.fullName}\n      ${why}`);
      }
      if (file.status === "failed" && file.assertionResults.length === 0) {
        named.push(`  ${file.name.replace(process.cwd() + "/", "")}: ${(file.message || "").split("\n")[0].slice(0, 300)}`);
      }
    }
  }
  if (named.length > 0) console.log(`failed tests:\n${named.join("\n")}`);
  console.log(`Phoenix: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$results"
rm -rf "$results"

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'failed stages: %s\n' "${failed[*]}" >&2
  exit 1
fi
