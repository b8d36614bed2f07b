#!/usr/bin/env bash
# Runs a command inside its own D-Bus session with a fresh, unlocked gnome-keyring: a real Secret
# Service that lives and dies with the command. Usage: scripts/with-keyring.sh <command> [args...]
set -euo pipefail
keyring_home="$(mktemp -d -t switchboard-keyring.XXXXXX)"
trap 'rm -rf "$keyring_home"' EXIT
# A fresh XDG_DATA_HOME gives the daemon a new login keyring (an old one with another password is
# locked); HOME stays, so cargo keeps its home.
export XDG_DATA_HOME="$keyring_home"
# A private runtime folder too: gnome-keyring looks for a daemon to hand over to (its control
# socket) under XDG_RUNTIME_DIR, or under ~/.cache when that is unset, so sessions run side by
# side (CI steps, parallel builds) must not share one.
mkdir -m 700 "$keyring_home/runtime"
export XDG_RUNTIME_DIR="$keyring_home/runtime"
# gnome-keyring-daemon 42 (Debian 12) sometimes aborts in GLib under the test suite's load (a
# `trap int3` in the kernel log; seen four times on 2026-11-24, never alone). The bus's own
# service file would then start a *locked* daemon for the next call, and every later test would
# fail. This session's bus starts an unlocked one instead (same password, same keyring on disk),
# and the app's keychain tries a call once more when the service went away mid-call.
mkdir "$keyring_home/services"
cat >"$keyring_home/keyring-daemon" <<'DAEMON'
#!/bin/sh
printf '%s' switchboard-test-unlock | exec gnome-keyring-daemon --unlock --foreground --components=secrets
DAEMON
chmod +x "$keyring_home/keyring-daemon"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$keyring_home/keyring-daemon" \
  >"$keyring_home/services/org.freedesktop.secrets.service"
sed "s|<standard_session_servicedirs */>|<servicedir>$keyring_home/services</servicedir>&|" \
  /usr/share/dbus-1/session.conf >"$keyring_home/session.conf"
grep -q "$keyring_home/services" "$keyring_home/session.conf" \
  || { echo "with-keyring.sh: could not add the test service folder to the bus configuration" >&2; exit 1; }
# The command starts only once the daemon owns the Secret Service's bus name. `--unlock` returns
# when the daemon has forked, not when it is listening.
dbus-run-session --config-file="$keyring_home/session.conf" -- bash -c '
  printf "%s" "switchboard-test-unlock" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  owned() {
    dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true
  }
  for _ in $(seq 1 200); do owned && break; sleep 0.05; done
  owned || { echo "with-keyring.sh: gnome-keyring-daemon did not take the Secret Service name within 10 s" >&2; exit 1; }
  exec "$@"' bash "$@"
