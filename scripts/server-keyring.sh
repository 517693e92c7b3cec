#!/usr/bin/env bash
# Usage: scripts/server-keyring.sh [--keyring-dir DIR] [--passphrase-fd N] -- CMD [ARGS...]
#
# Runs CMD (e.g. `agentdesk serve`) on a headless Linux server with the Secret Service it keeps provider
# keys in: a private D-Bus session with gnome-keyring-daemon, whose "login" keyring lives encrypted in
# DIR/keyrings/ and is unlocked with a passphrase the admin gives at start. There is no other source of
# keys and no fallback: without a passphrase, or with a wrong one, CMD is not started.
#
# The passphrase comes from (first found):
#   --passphrase-fd N                a file descriptor opened by the caller (e.g. `3< <(pass show agentdesk)`,
#                                    or `3<&0` to type it), read to its end, never echoed;
#   $CREDENTIALS_DIRECTORY/agentdesk-keyring
#                                    a systemd credential (LoadCredential= / LoadCredentialEncrypted=,
#                                    decrypted by systemd into a private in-memory folder).
# It is held in this shell's memory only, given to gnome-keyring-daemon on its stdin, and never put
# in an argument or environment variable (neither is readable through ps or /proc by other users,
# but both are inherited and logged too easily).
#
# DIR defaults to $XDG_DATA_HOME (~/.local/share): the same keyring the user's own login would unlock.
# The first run creates the keyring with the passphrase given; later runs must give the same one.
# Exits with CMD's exit code; 2 for a usage error, 3 when no passphrase was given, 4 when the keyring
# could not be unlocked with it.
set -euo pipefail

prog="server-keyring"
if [ "${1:-}" != --inside-session ]; then
  keyring_dir="${XDG_DATA_HOME:-$HOME/.local/share}"
  fd=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --keyring-dir) keyring_dir="${2:?--keyring-dir needs a folder}"; shift 2 ;;
      --passphrase-fd) fd="${2:?--passphrase-fd needs a number}"; shift 2 ;;
      --) shift; break ;;
      *) echo "$prog: unknown option $1 (usage: $0 [--keyring-dir DIR] [--passphrase-fd N] -- CMD [ARGS...])" >&2; exit 2 ;;
    esac
  done
  [ $# -gt 0 ] || { echo "$prog: give the command to run after --" >&2; exit 2; }
  command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null ||
    { echo "$prog: needs dbus-run-session and gnome-keyring-daemon (sudo apt install dbus gnome-keyring)" >&2; exit 2; }
  case "$fd" in ''|[0-9]|[1-9][0-9]) ;; *) echo "$prog: --passphrase-fd takes a descriptor number" >&2; exit 2 ;; esac
  # The passphrase is passed on to the session shell through a pipe, never through argv or the environment.
  passphrase=""
  if [ -n "$fd" ]; then
    passphrase="$(cat <&"$fd")" || { echo "$prog: cannot read descriptor $fd" >&2; exit 3; }
  elif [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -r "$CREDENTIALS_DIRECTORY/agentdesk-keyring" ]; then
    passphrase="$(cat "$CREDENTIALS_DIRECTORY/agentdesk-keyring")"
  fi
  if [ -z "$passphrase" ]; then
    echo "$prog: no keyring passphrase: give it on a descriptor (--passphrase-fd 3 3<FILE-OR-PIPE) or as the systemd credential agentdesk-keyring (LoadCredentialEncrypted=agentdesk-keyring:…). Provider keys are never kept in a plain file." >&2
    exit 3
  fi
  mkdir -p -m 700 "$keyring_dir"
  # A pipe, not a here-string (bash may back that with a temporary file).
  set +e
  printf '%s' "$passphrase" | dbus-run-session -- bash "${BASH_SOURCE[0]}" --inside-session "$keyring_dir" "$@"
  exit "${PIPESTATUS[1]}"
fi
shift
keyring_dir="$1"
shift
passphrase="$(cat)"
exec 0</dev/null

run_dir="$(mktemp -d "${TMPDIR:-/tmp}/agentdesk-keyring-run.XXXXXX")"
trap 'rm -rf "$run_dir"' EXIT
chmod 700 "$run_dir"

# --unlock reads the passphrase from stdin: it creates the "login" keyring with it on the first run and
# unlocks it on later ones. Some versions print VAR=value lines: pass them on to CMD.
out="$(printf '%s' "$passphrase" |
  XDG_DATA_HOME="$keyring_dir" XDG_RUNTIME_DIR="$run_dir" \
    gnome-keyring-daemon --unlock --components=secrets)"
passphrase=""
while IFS= read -r line; do
  case "$line" in [A-Z_]*=*) export "${line?}" ;; esac
done <<<"$out"

# Wait (max ~5 s) until the daemon owns the Secret Service name, then ask whether the login keyring is locked.
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q 'boolean true' && break
  sleep 0.1
done
locked() {
  dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
    org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
    grep -q 'boolean false' && return 1
  return 0
}
for _ in $(seq 50); do
  locked || break
  sleep 0.1
done
if locked; then
  echo "$prog: the keyring in $keyring_dir/keyrings could not be unlocked with the passphrase given (a wrong passphrase?). Nothing was started." >&2
  exit 4
fi

export DBUS_SESSION_BUS_ADDRESS
set +e
"$@"
rc=$?
set -e
exit "$rc"
