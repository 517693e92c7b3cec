#!/usr/bin/env bash
# Prepare a Debian 12 (bookworm) machine for Agent Desk development and CI. Run as root.
# Idempotent: a second run only checks and finishes in a few seconds.
#
#   1. apt: bookworm-backports suite + the packages below (skipped when all are installed)
#   2. dockerd running, answering on /var/run/docker.sock     (AGENTDESK_SKIP_DOCKER=1 skips)
#   3. incusd running + storage pool, bridge, default profile  (AGENTDESK_SKIP_INCUS=1 skips)
#   4. LiteLLM venv at <repo>/.venv/litellm from resources/litellm/requirements.txt (the hashed lock)
#
# Other overrides: AGENTDESK_INCUS_BRIDGE_ADDR (default 10.87.23.1/24).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SKIP_DOCKER="${AGENTDESK_SKIP_DOCKER:-0}"
SKIP_INCUS="${AGENTDESK_SKIP_INCUS:-0}"
INCUS_BRIDGE_ADDR="${AGENTDESK_INCUS_BRIDGE_ADDR:-10.87.23.1/24}"
export DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- 1. packages
BASE_PKGS=(
  ca-certificates curl xz-utils iproute2 strace git
  dbus dbus-daemon gnome-keyring libsecret-tools   # Secret Service (scripts/with-keyring.sh)
  chromium                                         # headless browser for e2e tests
  debootstrap                                      # base rootfs for agent images
  python3 python3-venv                             # LiteLLM venv
  make g++                                         # better-sqlite3 builds from source
  iptables                                         # agent egress rules (docs/decisions/009-egress.md)
  dnsmasq-base                                     # the egress tests' outside DNS server
  cmake ninja-build                                # llama.cpp's llama-server (scripts/real-model.sh)
  openssh-client openssh-server                    # remote engines over ssh:// and the remote-engine tests' sshd
)
# dockerd 20.10 + containerd/runc/tini (Depends). Recommends (apparmor, cgroupfs-mount…) unneeded.
DOCKER_PKGS=(docker.io)
# incus-base = incusd + incus client + lxc/lxcfs (containers). The `incus` package only adds
# VM support (qemu-system-x86, swtpm: ~600 MB) which we do not use. dnsmasq-base (a
# Recommends) is required for DHCP/DNS on the managed bridge. btrfs-progs lets the app give agents
# a copy-on-write storage pool (docs/decisions/017-incus-fast-start.md); without it they use `dir`.
INCUS_PKGS=(incus-base incus-client dnsmasq-base btrfs-progs)

missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || echo "$p"
  done
}

BACKPORTS_FILE=/etc/apt/sources.list.d/debian-backports.sources
if [ "$SKIP_INCUS" != 1 ] &&
   ! grep -qs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
       /etc/apt/sources.list.d/*.sources; then
  log "adding bookworm-backports apt suite ($BACKPORTS_FILE)"
  cat >"$BACKPORTS_FILE" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  NEED_UPDATE=1
fi

mapfile -t MISSING_BASE < <(missing "${BASE_PKGS[@]}")
MISSING_DOCKER=()
MISSING_INCUS=()
[ "$SKIP_DOCKER" = 1 ] || mapfile -t MISSING_DOCKER < <(missing "${DOCKER_PKGS[@]}")
[ "$SKIP_INCUS" = 1 ] || mapfile -t MISSING_INCUS < <(missing "${INCUS_PKGS[@]}")

if [ ${#MISSING_BASE[@]} -gt 0 ] || [ ${#MISSING_DOCKER[@]} -gt 0 ] || [ ${#MISSING_INCUS[@]} -gt 0 ]; then
  log "installing: ${MISSING_BASE[*]} ${MISSING_DOCKER[*]} ${MISSING_INCUS[*]}"
  # Unrelated third-party sources (cloud-sdk, nodesource) may fail: warn, don't abort.
  apt-get update -q || log "WARNING: apt-get update reported errors; continuing"
  # No init system here: keep package scripts from starting daemons; we start them below.
  POLICY=/usr/sbin/policy-rc.d
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"; chmod 755 "$POLICY"
    trap 'rm -f "$POLICY"' EXIT
  fi
  APT=(apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold)
  if [ ${#MISSING_BASE[@]} -gt 0 ] || [ ${#MISSING_DOCKER[@]} -gt 0 ]; then
    "${APT[@]}" "${MISSING_BASE[@]}" "${MISSING_DOCKER[@]}"
  fi
  [ ${#MISSING_INCUS[@]} -eq 0 ] || "${APT[@]}" -t bookworm-backports "${MISSING_INCUS[@]}"
  rm -f "$POLICY"; trap - EXIT
else
  [ -z "${NEED_UPDATE:-}" ] || apt-get update -q || log "WARNING: apt-get update reported errors; continuing"
  log "packages: all installed"
fi

# Wait until "$@" succeeds, at most $1 seconds.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# ---------------------------------------------------------------- 2. docker
docker_ok() { curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping; }

if [ "$SKIP_DOCKER" = 1 ]; then
  log "docker: skipped (AGENTDESK_SKIP_DOCKER=1)"
elif docker_ok >/dev/null 2>&1; then
  log "docker: daemon already answering"
else
  log "docker: starting dockerd (log /var/log/agentdesk-dockerd.log)"
  setsid /usr/sbin/dockerd </dev/null >>/var/log/agentdesk-dockerd.log 2>&1 &
  wait_for 60 docker_ok || { tail -20 /var/log/agentdesk-dockerd.log >&2; die "dockerd did not answer within 60 s"; }
  log "docker: daemon up"
fi
if [ "$SKIP_DOCKER" != 1 ]; then
  # /usr/local/bin/docker (if present) is a newer client; it negotiates down to the daemon's API.
  docker version --format 'docker: client {{.Client.Version}}, server {{.Server.Version}} (API {{.Server.APIVersion}})' \
    | sed 's/^/[bootstrap] /' || die "docker client cannot talk to the daemon"
fi

# ---------------------------------------------------------------- 3. incus
INCUS_SOCK=/var/lib/incus/unix.socket
incus_ok() { curl -fsS --max-time 3 --unix-socket "$INCUS_SOCK" http://incus/1.0; }

if [ "$SKIP_INCUS" = 1 ]; then
  log "incus: skipped (AGENTDESK_SKIP_INCUS=1)"
else
  if incus_ok >/dev/null 2>&1; then
    log "incus: daemon already answering"
  else
    log "incus: starting incusd (log /var/log/agentdesk-incusd.log)"
    setsid /usr/libexec/incus/incusd --group root </dev/null >>/var/log/agentdesk-incusd.log 2>&1 &
    wait_for 60 incus_ok || { tail -20 /var/log/agentdesk-incusd.log >&2; die "incusd did not answer within 60 s"; }
  fi
  incus admin waitready --timeout=60 || die "incusd not ready"

  if ! incus storage show default >/dev/null 2>&1; then
    log "incus: creating storage pool 'default' (dir)"
    incus storage create default dir
  fi
  if ! incus network show incusbr0 >/dev/null 2>&1; then
    # Automatic subnet choice fails on these machines: give an explicit one.
    log "incus: creating bridge incusbr0 ($INCUS_BRIDGE_ADDR)"
    incus network create incusbr0 ipv4.address="$INCUS_BRIDGE_ADDR" ipv4.nat=true ipv6.address=none
  fi
  if ! incus profile device get default root pool >/dev/null 2>&1; then
    log "incus: adding root disk to default profile"
    incus profile device add default root disk path=/ pool=default
  fi
  if ! incus profile device get default eth0 type >/dev/null 2>&1; then
    log "incus: adding eth0 (incusbr0) to default profile"
    incus profile device add default eth0 nic nictype=bridged parent=incusbr0 name=eth0
  fi
  log "incus: ready, server $(incus version | sed -n 's/^Server version: //p')"
fi

# ---------------------------------------------------------------- 4. LiteLLM venv
VENV="$REPO/.venv/litellm"
REQ="$REPO/resources/litellm/requirements.txt"
STAMP="$VENV/.agentdesk-requirements.sha256"
[ -f "$REQ" ] || die "missing $REQ"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"

if [ -x "$VENV/bin/litellm" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ] &&
   "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  log "litellm: venv up to date ($VENV)"
else
  # Debian's python explicitly: a pyenv python may come first on PATH.
  log "litellm: creating venv $VENV (pip install --require-hashes -r ${REQ#"$REPO"/}); about 100 packages, 30 s to a few minutes — pip lists each one below"
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV"
  start=$(date +%s)
  # Every package pinned and checked against the lock's sha256 hashes; wheels only (no build step runs
  # code fetched outside the lock). A mismatch fails here: never fall back to an unchecked install.
  # Not -q: the download and install take a while, and a silent terminal looks hung.
  "$VENV/bin/pip" install --progress-bar off --disable-pip-version-check --require-hashes --only-binary=:all: -r "$REQ" ||
    { rm -rf "$VENV"; die "litellm: pip install --require-hashes -r ${REQ#"$REPO"/} failed (see above)"; }
  echo "$WANT" >"$STAMP"
  log "litellm: installed in $(( $(date +%s) - start )) s: $("$VENV/bin/pip" show litellm | sed -n 's/^Version: //p')"
fi

log "done"
