#!/usr/bin/env bash
# Builds the desktop app and the CLI, then a .deb and an .rpm with Tauri's bundler (the pinned npm
# package in packaging/). Both packages install the app as /usr/bin/switchboard-desktop (with its
# desktop entry, icons and AppStream metadata) and the CLI as /usr/bin/switchboard.
#   PROFILE=release (default): `cargo build --release`, for people to install (`make bundle`).
#   PROFILE=debug: bundles the debug build `make build` already made, in seconds (`make test-bundle`).
# Honours CARGO_TARGET_DIR. Prints the paths of the packages it wrote. Expects ui/dist (make ui).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
case "$profile" in
  release) cargo_flags=(--release); bundle_flags=() ;;
  # The debug binary is left as cargo built it (no bundle-type patch): the end-to-end tests use it.
  debug) cargo_flags=(); bundle_flags=(--debug --no-binary-patching) ;;
  *) echo "bundle: PROFILE must be release or debug, not $profile" >&2; exit 2 ;;
esac

# `npm install`, not `npm ci`: the lock lists the CLI's prebuilt binaries that this registry has
# (Linux), and npm ci refuses a lock that lacks the other platforms' optional packages.
if [ ! -x packaging/node_modules/.bin/tauri ] \
  || [ packaging/package-lock.json -nt packaging/node_modules/.package-lock.json ]; then
  echo "bundle: installing the Tauri CLI (packaging/)"
  (cd packaging && npm install --no-audit --no-fund --loglevel=error)
fi

cargo build --locked "${cargo_flags[@]}" -p switchboard-desktop -p switchboard-cli
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).target_directory))')"
out="$target_dir/$profile/bundle"
cli="$target_dir/$profile/switchboard"
rm -rf "$out/deb" "$out/rpm"

# The CLI's path depends on the target dir, so it joins the packages through a config overlay
# (merged into src-tauri/tauri.conf.json, whose bundle section holds everything else).
overlay="$(node -e '
  const cli = process.argv[1];
  const files = { "/usr/bin/switchboard": cli };
  console.log(JSON.stringify({ bundle: { linux: { deb: { files }, rpm: { files } } } }));
' "$cli")"
# Run from src-tauri so the CLI finds tauri.conf.json without searching the whole tree.
(cd src-tauri && ../packaging/node_modules/.bin/tauri bundle --ci --bundles deb,rpm "${bundle_flags[@]}" --config "$overlay")
ls -1 "$out"/deb/*.deb "$out"/rpm/*.rpm
