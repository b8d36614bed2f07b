#!/usr/bin/env bash
# Runs the end-to-end tests in a fresh virtual display and D-Bus session with a real Secret
# Service, with the app's config, data, cache and documents folders in a throwaway home, so runs
# never see each other's profiles. Expects the app to be built (make build). Screenshots land in
# target/e2e-artifacts/. Arguments name test files to run (default: all), e.g. profiles.test.mjs.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
rm -rf "$root/target/e2e-artifacts"
mkdir -p "$root/target/e2e-artifacts"
e2e_home="$(mktemp -d -t switchboard-e2e.XXXXXX)"
trap 'rm -rf "$e2e_home"' EXIT
mkdir -p "$e2e_home/config" "$e2e_home/cache" "$e2e_home/state" "$e2e_home/Documents"
# Reports go to the documents folder, which the secret scan reads too.
printf 'XDG_DOCUMENTS_DIR="%s/Documents"\n' "$e2e_home" >"$e2e_home/config/user-dirs.dirs"
export XDG_CONFIG_HOME="$e2e_home/config" XDG_CACHE_HOME="$e2e_home/cache" XDG_STATE_HOME="$e2e_home/state"
export SWITCHBOARD_E2E_DOCUMENTS="$e2e_home/Documents"
# The desktop's settings (GNOME's colour scheme, which the app follows) come from a key file the
# theme test writes, read and watched by GLib's keyfile backend, instead of the machine's dconf.
mkdir -p "$e2e_home/config/glib-2.0/settings"
: >"$e2e_home/config/glib-2.0/settings/keyfile"
export GSETTINGS_BACKEND=keyfile
# A distinctive API key, so the secret scan can look for it; the in-app sandbox accepts only it.
export SWITCHBOARD_SANDBOX_API_KEY="sbk-e2e-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# With no GPU the app turns WebKit's compositing off (src-tauri `choose_rendering`); WebKitWebDriver's
# screenshot of an idle page then waits for a frame that never comes (~2 min, then fails). The
# window tests keep compositing on; `make test-bundle` starts the installed app with the default.
export WEBKIT_DISABLE_COMPOSITING_MODE="${WEBKIT_DISABLE_COMPOSITING_MODE:-0}"
# WebKit keeps per-app state under XDG_DATA_HOME; with-keyring.sh gives each run a fresh one.
xvfb-run -a -s "-screen 0 1280x800x24" "$root/scripts/with-keyring.sh" \
  env SWITCHBOARD_KEYCHAIN_SERVICE="switchboard-e2e-$$" npm test -- "$@"
