#!/bin/sh
# Installs phoenix-agent on a Debian or Ubuntu guest (VM or LXC) and starts it with systemd.
#
#   install-agent.sh COORDINATOR TOKEN
#   PHOENIX_COORDINATOR=10.0.0.5:7443 PHOENIX_ENROLLMENT_TOKEN=... install-agent.sh
#
# COORDINATOR is the coordinator's gRPC address, host[:port] (port 7443 when left out); TOKEN is
# the fleet's enrollment token. Prefer the environment for the token: arguments show in `ps`.
# The bundle is downloaded from where this script came from (the coordinator fills that in when it
# serves the script), else from PHOENIX_COORDINATOR_HTTP (e.g. http://10.0.0.5:8080), else from
# http://<host>:7480, or https://<host>:7480 when the agent is given a CA (below).
# Installs Debian's nodejs when no node >= 18 is present. Safe to run again: it updates the
# bundle and the configuration and restarts the agent. Run with neither value on a guest that has
# an agent, it updates the bundle and the unit and keeps /etc/phoenix/agent.json as it is:
#   curl -fsSL http://10.0.0.5:7480/agent/install.sh | sudo sh
# Without a running systemd (a container
# image being built, a chroot) everything is installed and the start is left to the caller.
# A coordinator with TLS: put the CA that signed its certificate in /etc/phoenix/ca.pem (cloud-init
# can write it) or name the file in PHOENIX_TLS_CA. The agent trusts it, and the bundle is then
# downloaded over HTTPS checked against it:
#   curl -fsSL --cacert /etc/phoenix/ca.pem https://10.0.0.5:7480/agent/install.sh | sudo sh
# PHOENIX_INSTALL_ROOT installs below another root directory (image builds, tests).
set -eu

# Where this script was downloaded from (scheme://host:port): the coordinator's install endpoint
# writes it into the line below as it serves the script; empty in the file itself.
served_from=''

ROOT=${PHOENIX_INSTALL_ROOT:-}
PREFIX=$ROOT/opt/phoenix
CONFIG_DIR=$ROOT/etc/phoenix
STATE_DIR=/var/lib/phoenix
UNIT=$ROOT/etc/systemd/system/phoenix-agent.service

say() { printf 'phoenix-agent install: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

coordinator=${1:-${PHOENIX_COORDINATOR:-}}
token=${2:-${PHOENIX_ENROLLMENT_TOKEN:-}}
update=''
if [ -z "$coordinator" ] && [ -z "$token" ] && [ -f "$CONFIG_DIR/agent.json" ]; then
  # An update: the installed configuration stays, and says where the coordinator is.
  update=1
  coordinator=$(sed -n 's/^[[:space:]]*"coordinator":[[:space:]]*"\([^"]*\)".*$/\1/p' "$CONFIG_DIR/agent.json" | head -n 1)
  [ -n "$coordinator" ] || die "/etc/phoenix/agent.json names no coordinator: give COORDINATOR and TOKEN"
elif [ -z "$coordinator" ] || [ -z "$token" ]; then
  die "usage: install-agent.sh COORDINATOR TOKEN (or PHOENIX_COORDINATOR and PHOENIX_ENROLLMENT_TOKEN; neither, to update an installed agent)"
fi
[ "$(id -u)" -eq 0 ] || die "must run as root"

# host and port of the coordinator; [v6]:port and host without a port are accepted.
case $coordinator in
  \[*\]:*) host=${coordinator%:*} port=${coordinator##*:} ;;
  \[*\]) host=$coordinator port=7443 ;;
  *:*) host=${coordinator%:*} port=${coordinator##*:} ;;
  *) host=$coordinator port=7443 ;;
esac
case $port in
  '' | *[!0-9]*) die "coordinator address must be host[:port], got: $coordinator" ;;
esac
case $token in
  *[!!-~]*) die "enrollment token must be printable ASCII without spaces" ;;
esac
tls_ca=${PHOENIX_TLS_CA:-}
if [ -n "$update" ] && [ -z "$tls_ca" ]; then
  tls_ca=$(sed -n 's/^[[:space:]]*"tlsCa":[[:space:]]*"\([^"]*\)".*$/\1/p' "$CONFIG_DIR/agent.json" | head -n 1)
fi
if [ -z "$tls_ca" ] && [ -f "$CONFIG_DIR/ca.pem" ]; then tls_ca=/etc/phoenix/ca.pem; fi
if [ -n "$tls_ca" ] && [ -z "$update" ]; then
  case $tls_ca in
    /*) ;;
    *) die "PHOENIX_TLS_CA must be an absolute path, got: $tls_ca" ;;
  esac
  grep -q 'BEGIN CERTIFICATE' "$ROOT$tls_ca" 2>/dev/null || die "$tls_ca holds no PEM certificate"
fi

if [ -n "$tls_ca" ]; then default_http=https://$host:7480; else default_http=http://$host:7480; fi
http_base=${PHOENIX_COORDINATOR_HTTP:-${served_from:-$default_http}}
case $http_base in
  http://?* | https://?*) http_base=${http_base%/} ;;
  *) die "PHOENIX_COORDINATOR_HTTP must be an http:// or https:// URL, got: $http_base" ;;
esac
# Over HTTPS, the download is checked against the CA the agent trusts (else the system's CAs).
ca_file=''
case $http_base in https://*) [ -z "$tls_ca" ] || ca_file=$ROOT$tls_ca ;; esac

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

# 2. the bundle, from the coordinator; checked before it replaces the installed one.
mkdir -p "$PREFIX"
# In a directory of its own, under its own name: node runs an ES module bundle only as a .mjs file.
stage=$(mktemp -d "$PREFIX/.install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tmp=$stage/phoenix-agent.mjs
url="$http_base/agent/phoenix-agent.mjs"
say "downloading $url"
if command -v curl >/dev/null 2>&1; then
  curl -fsSL --retry 5 --retry-delay 2 --retry-connrefused ${ca_file:+--cacert "$ca_file"} -o "$tmp" "$url" ||
    die "cannot download $url"
elif command -v wget >/dev/null 2>&1; then
  wget -q -t 5 ${ca_file:+--ca-certificate="$ca_file"} -O "$tmp" "$url" || die "cannot download $url"
else
  # shellcheck disable=SC2016 # JavaScript, not shell: the template literal is node's.
  URL=$url OUT=$tmp env ${ca_file:+"NODE_EXTRA_CA_CERTS=$ca_file"} "$node" -e '
    fetch(process.env.URL).then(async (r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      require("fs").writeFileSync(process.env.OUT, Buffer.from(await r.arrayBuffer()));
    }).catch((e) => { console.error(e.message); process.exit(1); });' || die "cannot download $url"
fi
version=$("$node" "$tmp" --version) || die "the downloaded bundle does not run on $("$node" --version)"
chmod 0644 "$tmp"
mv -f "$tmp" "$PREFIX/phoenix-agent.mjs"
rm -rf "$stage"
trap - EXIT
say "installed phoenix-agent $version in $PREFIX"

# 3. the configuration: readable by root only, since it holds the token.
if [ -n "$update" ]; then
  say "kept the configuration in /etc/phoenix/agent.json"
else
  mkdir -p "$(dirname "$CONFIG_DIR")" "$(dirname "$ROOT$STATE_DIR")"
  umask 077
  mkdir -p "$CONFIG_DIR" "$ROOT$STATE_DIR"
  escaped=$(printf '%s' "$token" | sed 's/[\\"]/\\&/g')
  cat >"$CONFIG_DIR/agent.json.tmp" <<EOF
{
  "coordinator": "$host:$port",
  "enrollmentToken": "$escaped",${tls_ca:+
  \"tlsCa\": \"$tls_ca\",}
  "stateDir": "$STATE_DIR"
}
EOF
  chmod 0600 "$CONFIG_DIR/agent.json.tmp"
  mv -f "$CONFIG_DIR/agent.json.tmp" "$CONFIG_DIR/agent.json"
  umask 022
fi

# 4. the systemd unit (the same as deploy/systemd/phoenix-agent.service), with this node.
mkdir -p "$(dirname "$UNIT")"
cat >"$UNIT.tmp" <<'EOF'
[Unit]
Description=Phoenix agent: reports this guest to the Phoenix coordinator and runs its commands
Wants=network-online.target
After=network-online.target docker.service

[Service]
Type=simple
# The agent waits on sockets nearly all the time: without the JIT compilers (it uses no WebAssembly)
# and with a small young generation it keeps about 6 MB less resident, at no measurable CPU cost.
# Without node's startup snapshot it keeps about 2 MB less of the node binary resident, for some
# 40 ms more at start.
ExecStart=/usr/bin/node --jitless --no-expose-wasm --max-semi-space-size=1 --no-node-snapshot /opt/phoenix/phoenix-agent.mjs run --config /etc/phoenix/agent.json
Restart=always
RestartSec=2
# The agent reconnects by itself; systemd only restarts it if the process itself ends.
TimeoutStopSec=15
# Keeps command results across restarts (stateDir in agent.json).
StateDirectory=phoenix
StateDirectoryMode=0700
NoNewPrivileges=yes

[Install]
WantedBy=multi-user.target
EOF
if [ "$node" != /usr/bin/node ]; then
  sed "s#^ExecStart=/usr/bin/node #ExecStart=$node #" "$UNIT.tmp" >"$UNIT.tmp2" && mv -f "$UNIT.tmp2" "$UNIT.tmp"
fi
mv -f "$UNIT.tmp" "$UNIT"

command -v docker >/dev/null 2>&1 || say "warning: no docker on this guest; the agent will report Docker as unreachable"

# 5. start (or restart, when updating).
if [ -n "$ROOT" ] || [ ! -d /run/systemd/system ]; then
  say "systemd is not running here: start it with systemctl enable --now phoenix-agent once it is"
  exit 0
fi
systemctl daemon-reload
systemctl enable phoenix-agent.service >/dev/null 2>&1
systemctl restart phoenix-agent.service
say "phoenix-agent is running; follow it with: journalctl -u phoenix-agent -f"
