#!/usr/bin/env bash
# Installs everything Phoenix needs on a fresh Debian 12 machine: Debian packages for the sandbox
# (dockerd, nats-server, busybox for the test image, iproute2/iptables for guest networks) and
# shellcheck and systemd (the tests lint the install scripts and verify the units with them), the
# npm dependencies, and the built bundles. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

packages=(docker.io nats-server busybox-static iproute2 iptables openssl procps psmisc util-linux shellcheck systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  node scripts/prune-lockfile.mjs package-lock.json >/dev/null
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "==> build"
npm run build --silent
