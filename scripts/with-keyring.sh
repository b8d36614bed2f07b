#!/usr/bin/env bash
# Runs a command inside its own D-Bus session with a fresh, unlocked gnome-keyring: a real Secret
# Service that lives and dies with the command. Usage: scripts/with-keyring.sh <command> [args...]
set -euo pipefail
keyring_home="$(mktemp -d -t switchboard-keyring.XXXXXX)"
trap 'rm -rf "$keyring_home"' EXIT
# A fresh XDG_DATA_HOME gives the daemon a new login keyring (an old one with another password is
# locked); HOME stays, so cargo keeps its home.
export XDG_DATA_HOME="$keyring_home"
# The command starts only once the daemon owns the Secret Service's bus name. `--unlock` returns
# when the daemon has forked, not when it is listening: a first call in that gap makes the bus
# start a second daemon for the name (its service file), which finds the first and leaves without
# answering ("Message recipient disconnected from message bus without replying"). Seen on a
# loaded machine.
dbus-run-session -- bash -c '
  printf "%s" "switchboard-test-unlock" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  owned() {
    dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true
  }
  for _ in $(seq 1 200); do owned && break; sleep 0.05; done
  owned || { echo "with-keyring.sh: gnome-keyring-daemon did not take the Secret Service name within 10 s" >&2; exit 1; }
  exec "$@"' bash "$@"
