#!/usr/bin/env bash
# Runs the end-to-end tests in a fresh virtual display and D-Bus session with a real Secret
# Service. Expects the app to be built (make build). Screenshots land in target/e2e-artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
rm -rf "$root/target/e2e-artifacts"
mkdir -p "$root/target/e2e-artifacts"
# WebKit keeps per-app state under XDG_DATA_HOME; with-keyring.sh gives each run a fresh one.
exec xvfb-run -a -s "-screen 0 1280x800x24" "$root/scripts/with-keyring.sh" \
  env SWITCHBOARD_KEYCHAIN_SERVICE="switchboard-e2e-$$" npm test
