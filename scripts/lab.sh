#!/usr/bin/env bash
# The Phoenix lab: a sandbox fleet of the example model on this machine.
#   bash scripts/lab.sh up       set the machine up (scripts/setup.sh), bring up 3 guests (each its own
#                                network namespace, hostname and dockerd; one with a simulated GPU),
#                                NATS, the coordinator and an agent per guest, run 'phoenix sync all',
#                                show 'phoenix status' and 'phoenix nodes'; the lab keeps running
#   bash scripts/lab.sh status   what runs, 'phoenix status', and the CLI settings
#   bash scripts/lab.sh env      export lines that point the phoenix CLI at the lab
#   bash scripts/lab.sh down     take it all down; nothing is left behind
# Options: --name NAME (default lab) to run several labs side by side.
# Needs root (network namespaces, a bridge, iptables, one dockerd per guest) on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

command=${1:-}
case "$command" in
  up | down | status | env) ;;
  -h | --help | help)
    usage
    exit 0
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac

if [ "$(id -u)" != 0 ]; then
  echo "lab: needs root (network namespaces, a bridge, iptables, one dockerd per guest): sudo bash scripts/lab.sh $*" >&2
  exit 2
fi

if [ "$command" = up ]; then
  echo "==> setup: Debian packages, npm dependencies, bundles (scripts/setup.sh)"
  started=$(date +%s)
  bash scripts/setup.sh
  echo "    setup took $(($(date +%s) - started)) s"
elif [ ! -x node_modules/.bin/tsx ]; then
  echo "lab: dependencies are not installed; 'bash scripts/lab.sh up' installs them" >&2
  exit 2
fi

exec node_modules/.bin/tsx test/lab/cli.ts "$@"
