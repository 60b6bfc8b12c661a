#!/bin/sh
# Installs phoenix-coordinator and the phoenix CLI on a Debian or Ubuntu host (a VM or LXC of the
# fleet, or any machine the guests can reach) from a built checkout, and starts it with systemd.
#
#   npm ci && npm run build
#   sudo sh deploy/install-coordinator.sh --model /srv/phoenix-model [--nats nats://127.0.0.1:4222]
#
# Options (given again, each replaces the installed value; left out, the installed value stays):
#   --model DIR             the model directory (etc/ and stacks/); required the first time
#   --listen HOST:PORT      gRPC address for agents and the CLI (default 0.0.0.0:7443)
#   --http-listen HOST:PORT the agent bundle and install script for the guests (default 0.0.0.0:7480)
#   --nats URL              NATS server for events (default: none, events only through the API)
#
# It copies the bundles to /opt/phoenix-coordinator (after checking that they run), creates the
# enrollment, API and read-only tokens in /etc/phoenix (root only; never printed, never replaced),
# writes the settings to /etc/phoenix/coordinator.env (other lines there are kept), installs the
# systemd unit, the `phoenix` command and root's CLI settings, then (re)starts the coordinator.
# Without a running systemd, or with PHOENIX_INSTALL_ROOT=<dir> (files go below that directory),
# everything is installed and the start is left to the caller.
set -eu

ROOT=${PHOENIX_INSTALL_ROOT:-}
PREFIX=/opt/phoenix-coordinator
CONFIG_DIR=/etc/phoenix
ENV_FILE=$CONFIG_DIR/coordinator.env
STATE_DIR=/var/lib/phoenix-coordinator
UNIT=/etc/systemd/system/phoenix-coordinator.service
BIN=/usr/local/bin/phoenix
CLI_CONFIG=/root/.config/phoenix/cli.json
# The settings this script owns in the environment file.
MANAGED='PHOENIX_MODEL PHOENIX_STATE_DIR PHOENIX_LISTEN PHOENIX_HTTP_LISTEN PHOENIX_NATS_URL PHOENIX_ENROLLMENT_TOKEN_FILE PHOENIX_API_TOKEN_FILE PHOENIX_READ_ONLY_TOKEN_FILE PHOENIX_AGENT_BUNDLE PHOENIX_INSTALL_SCRIPT'

say() { printf 'phoenix-coordinator install: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}
usage() { die "usage: install-coordinator.sh --model DIR [--listen HOST:PORT] [--http-listen HOST:PORT] [--nats URL]"; }

src=$(cd "$(dirname "$0")/.." && pwd -P)
model='' listen='' http_listen='' nats=''
while [ $# -gt 0 ]; do
  case $1 in
    --model | --listen | --http-listen | --nats)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in
        --model) model=$2 ;;
        --listen) listen=$2 ;;
        --http-listen) http_listen=$2 ;;
        --nats) nats=$2 ;;
      esac
      shift 2
      ;;
    -h | --help) usage ;;
    *) die "unknown argument: $1 (install-coordinator.sh --help)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "must run as root"

# The installed value of a setting, from the environment file.
installed() {
  if [ -f "$ROOT$ENV_FILE" ]; then sed -n "s/^$1=//p" "$ROOT$ENV_FILE" | tail -n 1; fi
}

if [ -n "$model" ]; then
  [ -d "$model" ] || die "--model $model: no such directory"
  model=$(cd "$model" && pwd -P)
else
  model=$(installed PHOENIX_MODEL)
  [ -n "$model" ] || usage
fi
[ -f "$model/etc/phoenix_cluster.json" ] || die "$model is not a Phoenix model: it has no etc/phoenix_cluster.json"
listen=${listen:-$(installed PHOENIX_LISTEN)}
listen=${listen:-0.0.0.0:7443}
http_listen=${http_listen:-$(installed PHOENIX_HTTP_LISTEN)}
http_listen=${http_listen:-0.0.0.0:7480}
nats=${nats:-$(installed PHOENIX_NATS_URL)}
for value in "$model" "$listen" "$http_listen" "$nats"; do
  case $value in
    *[!!-~]*) die "\"$value\": settings are written to $ENV_FILE and must not hold spaces" ;;
  esac
done
# HOST:PORT, the host a name, an IPv4 address or a bracketed IPv6 address.
is_address() {
  case $1 in *?:*) ;; *) return 1 ;; esac
  case ${1##*:} in '' | *[!0-9]*) return 1 ;; esac
}
is_address "$listen" || die "--listen must be HOST:PORT, got: $listen"
[ "$http_listen" = off ] || is_address "$http_listen" || die "--http-listen must be HOST:PORT or off, got: $http_listen"

node_major() {
  "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0
}

# 1. node >= 18: the one found on PATH, or Debian's nodejs.
node=$(command -v node || true)
if [ -z "$node" ] || [ "$(node_major "$node")" -lt 18 ]; then
  say "installing nodejs (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs >/dev/null
  node=$(command -v node || true)
  if [ -z "$node" ] || [ "$(node_major "$node")" -lt 18 ]; then die "no node >= 18 after installing nodejs"; fi
fi

# 2. the bundles from this checkout: all checked, then put in place together.
for f in coordinator/dist/phoenix-coordinator.mjs agents/node-agent/dist/phoenix-agent.mjs cli/dist/phoenix.mjs \
  deploy/install-agent.sh deploy/systemd/phoenix-coordinator.service; do
  [ -f "$src/$f" ] || die "$src/$f is missing: build the checkout first (npm ci && npm run build)"
done
mkdir -p "$ROOT$PREFIX"
stage=$(mktemp -d "$ROOT$PREFIX/.install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp "$src/coordinator/dist/phoenix-coordinator.mjs" "$src/agents/node-agent/dist/phoenix-agent.mjs" \
  "$src/deploy/install-agent.sh" "$stage/"
cp -R "$src/cli/dist" "$stage/cli"
for f in phoenix-coordinator.mjs phoenix-agent.mjs cli/phoenix.mjs; do
  "$node" "$stage/$f" --version >/dev/null 2>&1 || die "$f does not run on node $("$node" --version)"
done
version=$("$node" "$stage/phoenix-coordinator.mjs" --version)
chmod -R a+rX "$stage"
for f in phoenix-coordinator.mjs phoenix-agent.mjs install-agent.sh; do mv -f "$stage/$f" "$ROOT$PREFIX/$f"; done
rm -rf "$ROOT$PREFIX/cli.old"
if [ -d "$ROOT$PREFIX/cli" ]; then mv "$ROOT$PREFIX/cli" "$ROOT$PREFIX/cli.old"; fi
mv "$stage/cli" "$ROOT$PREFIX/cli"
rm -rf "$ROOT$PREFIX/cli.old" "$stage"
trap - EXIT
say "installed phoenix-coordinator $version, the agent bundle and the phoenix CLI in $PREFIX"

# 3. the tokens: made once, root only, never printed.
mkdir -p "$(dirname "$ROOT$CONFIG_DIR")" "$(dirname "$ROOT$STATE_DIR")" "$(dirname "$ROOT$BIN")" "$(dirname "$ROOT$UNIT")"
umask 077
mkdir -p "$ROOT$CONFIG_DIR" "$ROOT$STATE_DIR"
for name in enrollment api read-only; do
  file=$ROOT$CONFIG_DIR/$name.token
  [ -s "$file" ] && continue
  od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' >"$file.tmp"
  printf '\n' >>"$file.tmp"
  chmod 0600 "$file.tmp"
  mv -f "$file.tmp" "$file"
  say "created $CONFIG_DIR/$name.token"
done

# 4. the settings: this script's lines are replaced, every other line is kept.
{
  if [ -f "$ROOT$ENV_FILE" ]; then
    pattern=$(printf '%s' "$MANAGED" | tr ' ' '|')
    grep -Ev "^($pattern)=" "$ROOT$ENV_FILE" || true
  else
    echo "# phoenix-coordinator settings (phoenix-coordinator --help lists every PHOENIX_* variable)."
    echo "# install-coordinator.sh rewrites the lines it owns and keeps the others, e.g. PHOENIX_TLS_CERT."
  fi
  echo "PHOENIX_MODEL=$model"
  echo "PHOENIX_STATE_DIR=$STATE_DIR"
  echo "PHOENIX_LISTEN=$listen"
  echo "PHOENIX_HTTP_LISTEN=$http_listen"
  if [ -n "$nats" ]; then echo "PHOENIX_NATS_URL=$nats"; fi
  echo "PHOENIX_ENROLLMENT_TOKEN_FILE=$CONFIG_DIR/enrollment.token"
  echo "PHOENIX_API_TOKEN_FILE=$CONFIG_DIR/api.token"
  echo "PHOENIX_READ_ONLY_TOKEN_FILE=$CONFIG_DIR/read-only.token"
  echo "PHOENIX_AGENT_BUNDLE=$PREFIX/phoenix-agent.mjs"
  echo "PHOENIX_INSTALL_SCRIPT=$PREFIX/install-agent.sh"
} >"$ROOT$ENV_FILE.tmp"
chmod 0600 "$ROOT$ENV_FILE.tmp"
mv -f "$ROOT$ENV_FILE.tmp" "$ROOT$ENV_FILE"

# 5. the phoenix command, and root's CLI settings (kept when there are some).
umask 022
printf '#!/bin/sh\nexec %s %s/cli/phoenix.mjs "$@"\n' "$node" "$PREFIX" >"$ROOT$BIN.tmp"
chmod 0755 "$ROOT$BIN.tmp"
mv -f "$ROOT$BIN.tmp" "$ROOT$BIN"
port=${listen##*:}
host=${listen%:*}
case $host in 0.0.0.0 | '[::]' | '') host=127.0.0.1 ;; esac
if [ ! -f "$ROOT$CLI_CONFIG" ]; then
  umask 077
  mkdir -p "$(dirname "$ROOT$CLI_CONFIG")"
  printf '{\n  "coordinator": "%s:%s",\n  "token_file": "%s/api.token"\n}\n' "$host" "$port" "$CONFIG_DIR" >"$ROOT$CLI_CONFIG"
  umask 022
fi

# 6. the systemd unit, with this node.
sed "s#^ExecStart=/usr/bin/node #ExecStart=$node #" "$src/deploy/systemd/phoenix-coordinator.service" >"$ROOT$UNIT.tmp"
mv -f "$ROOT$UNIT.tmp" "$ROOT$UNIT"

if [ "$http_listen" = off ]; then
  fetch="(--http-listen is off: serve $PREFIX/install-agent.sh and phoenix-agent.mjs to the guests yourself)"
else
  # With TLS (certificate lines in coordinator.env) the endpoint is HTTPS, checked against the CA.
  if grep -q '^PHOENIX_TLS_CERT=.' "$ROOT$ENV_FILE" 2>/dev/null; then
    fetch="curl -fsSL --cacert /etc/phoenix/ca.pem https://<this host>:${http_listen##*:}/agent/install.sh"
  else
    fetch="curl -fsSL http://<this host>:${http_listen##*:}/agent/install.sh"
  fi
  fetch="$fetch | sudo PHOENIX_COORDINATOR=<this host>:$port PHOENIX_ENROLLMENT_TOKEN=<the token> sh"
fi
say "guests install their agent with deploy/cloud-init/user-data.yaml, or by hand:"
say "  $fetch"
say "  the enrollment token is in $CONFIG_DIR/enrollment.token; the phoenix CLI uses $CONFIG_DIR/api.token"

# 7. start (or restart, when updating).
if [ -n "$ROOT" ] || [ ! -d /run/systemd/system ]; then
  say "systemd is not running here: start it with systemctl enable --now phoenix-coordinator once it is"
  exit 0
fi
systemctl daemon-reload
systemctl enable phoenix-coordinator.service >/dev/null 2>&1
systemctl restart phoenix-coordinator.service
sleep 2
systemctl is-active --quiet phoenix-coordinator.service ||
  die "phoenix-coordinator did not stay up; see: journalctl -u phoenix-coordinator -n 30"
say "phoenix-coordinator is running; try: phoenix status (logs: journalctl -u phoenix-coordinator -f)"
