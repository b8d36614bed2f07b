#!/usr/bin/env bash
# Runs a command inside its own D-Bus session with a fresh, unlocked gnome-keyring: a real Secret
# Service that lives and dies with the command. Usage: scripts/with-keyring.sh <command> [args...]
set -euo pipefail
keyring_home="$(mktemp -d -t switchboard-keyring.XXXXXX)"
trap 'rm -rf "$keyring_home"' EXIT
# A fresh XDG_DATA_HOME gives the daemon a new login keyring (an old one with another password is
# locked); HOME stays, so cargo keeps its home.
export XDG_DATA_HOME="$keyring_home"
dbus-run-session -- bash -c '
  printf "%s" "switchboard-test-unlock" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' bash "$@"
