#!/usr/bin/env bash
# Runs every Phoenix test on this machine after setting it up: protocol freshness, lint, types,
# unit tests, then the sandbox suites (real dockerd guests in network namespaces, real nats-server,
# real gRPC). Needs root for the sandbox (network namespaces, dockerd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "==> protocol: generated code is up to date and buf lint is clean"
npm run generate --silent
if ! git diff --quiet -- packages/proto/src/gen; then
  git --no-pager diff --stat -- packages/proto/src/gen
  echo "generated protocol code is stale: run 'npm run generate' and commit packages/proto/src/gen" >&2
  exit 1
fi

echo "==> lint and types"
npx biome check .
npx tsc -p tsconfig.json

echo "==> sweep sandboxes whose owner process died (a crashed earlier run)"
npm run --silent sandbox -- sweep

results=$(mktemp -d)
status=0
echo "==> unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json" || status=1
echo "==> sandbox tests"
npx vitest run --project sandbox --reporter=default --reporter=json --outputFile="$results/sandbox.json" || status=1

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
  }
  console.log(`Phoenix: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$results"
rm -rf "$results"
exit $status
