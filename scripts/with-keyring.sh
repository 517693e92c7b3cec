#!/usr/bin/env bash
# Usage: scripts/with-keyring.sh CMD [ARGS...]
#
# Runs CMD inside a private D-Bus session with an unlocked gnome-keyring Secret Service,
# for headless machines and CI. Exits with CMD's exit code. The keyring lives in a temporary
# directory (fresh and empty each run) and is removed afterwards; CMD's own environment
# (HOME, XDG_*) is left untouched apart from the D-Bus session variables.
set -euo pipefail

if [ "${1:-}" != --inside-session ]; then
  [ $# -gt 0 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
  command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null ||
    { echo "with-keyring: needs dbus-run-session and gnome-keyring-daemon (scripts/bootstrap-linux.sh)" >&2; exit 2; }
  exec dbus-run-session -- bash "${BASH_SOURCE[0]}" --inside-session "$@"
fi
shift

KEYRING_TMP="$(mktemp -d /tmp/agentdesk-keyring.XXXXXX)"
trap 'rm -rf "$KEYRING_TMP"' EXIT
mkdir -m 700 "$KEYRING_TMP/data" "$KEYRING_TMP/run"

# --unlock reads the password from stdin, creates the "login" keyring (the default collection)
# and starts the daemon on this session bus. Only the daemon sees the temporary XDG dirs.
out="$(printf '%s' "agentdesk-ci" |
  XDG_DATA_HOME="$KEYRING_TMP/data" XDG_RUNTIME_DIR="$KEYRING_TMP/run" \
    gnome-keyring-daemon --unlock --components=secrets)"
# Some versions print VAR=value lines (GNOME_KEYRING_CONTROL…): pass them on to CMD.
while IFS= read -r line; do
  case "$line" in [A-Z_]*=*) export "${line?}" ;; esac
done <<<"$out"

# Wait (max ~5 s) until the Secret Service name is owned on the bus.
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q 'boolean true' && break
  sleep 0.1
done

export DBUS_SESSION_BUS_ADDRESS
set +e
"$@"
rc=$?
set -e
exit "$rc"
