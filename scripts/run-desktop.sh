#!/usr/bin/env bash
# Starts the desktop app. With no display (a server, CI, a container), it runs on a virtual display
# with its own keychain instead, and saves a screenshot so you can see it came up.
set -euo pipefail
cd "$(dirname "$0")/.."
app=target/debug/switchboard-desktop
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$app"
fi
echo "run: no display (DISPLAY and WAYLAND_DISPLAY are unset)."
echo "run: starting Switchboard on a virtual display with a private keychain; stop it with Ctrl-C."
echo "run: a screenshot will be saved to target/make-run.png."
exec xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh bash -c '
  "$0" & app=$!
  trap "kill $app 2>/dev/null" INT TERM
  sleep 5 && import -window root target/make-run.png && echo "run: screenshot saved to target/make-run.png"
  wait $app' "$app"
