#!/usr/bin/env bash
# Installs everything Switchboard needs on Debian 12, skipping what is already present, so a warm
# machine pays (almost) nothing. Used by `make run`, `make test` and `.ci/run`.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# System packages: WebKitGTK for the window, Xvfb + WebKitWebDriver for the headless end-to-end
# test, D-Bus + gnome-keyring for a real Secret Service, GNOME's settings schemas for the theme
# test (the app follows the desktop's colour scheme).
APT_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev libayatana-appindicator3-dev
  librsvg2-dev xvfb xauth webkit2gtk-driver imagemagick x11-utils
  dbus dbus-x11 gnome-keyring libsecret-tools keyutils gsettings-desktop-schemas
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# tauri-driver: the WebDriver bridge for the end-to-end test.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --version '=2.1.0' --locked
fi

# Front end and end-to-end test packages, from their lock files.
npm_install() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install ui
npm_install tests/e2e
# The real @app-connect/core framework, for the conformance suite. sqlite3 is a native module built
# from source on install; check it loads, and rebuild once if it does not.
npm_install tests/conformance
if ! (cd tests/conformance && node -e "require('sqlite3')" >/dev/null 2>&1); then
  echo "setup: sqlite3's native module did not load; rebuilding it"
  (cd tests/conformance && npm rebuild sqlite3 --loglevel=error)
  (cd tests/conformance && node -e "require('sqlite3')") || {
    echo "setup: sqlite3 still does not load; the conformance suite needs it (build-essential, python3)" >&2
    exit 1
  }
fi
echo "setup: done"
