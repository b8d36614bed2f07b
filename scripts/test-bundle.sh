#!/usr/bin/env bash
# The .deb on this machine: installs it with dpkg, checks its files (app, CLI, desktop entry, icons,
# AppStream metadata), runs the installed CLI, starts the installed app on a virtual display with a
# private keychain and checks its window appears and it stays up and logs its start, then removes the
# package and checks that every file it installed is gone. Also lists the .rpm's files.
# Needs root (dpkg -i); refuses to touch a Switchboard package that was installed before it ran.
# Usage: scripts/test-bundle.sh [path/to/package.deb]  (default: the newest debug bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
fail() { echo "test-bundle: FAIL: $*" >&2; exit 1; }
pass=0
ok() { pass=$((pass + 1)); echo "test-bundle: ok - $*"; }

# Checkers: desktop-file-validate, appstreamcli, rpm (to read the .rpm; it is not installed here).
missing=()
for p in desktop-file-utils appstream rpm; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-bundle: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

target_dir="$(cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).target_directory))')"
deb="${1:-$(ls -t "$target_dir"/debug/bundle/deb/*.deb 2>/dev/null | head -1)}"
[ -f "$deb" ] || fail "no .deb found: run PROFILE=debug scripts/bundle.sh (make test-bundle does) or give its path"
rpm_file="$(ls -t "$(dirname "$(dirname "$deb")")"/rpm/*.rpm 2>/dev/null | head -1 || true)"
pkg="$(dpkg-deb --field "$deb" Package)"
echo "test-bundle: $deb (package $pkg)"
if dpkg -s "$pkg" >/dev/null 2>&1; then
  fail "a package named $pkg is already installed; remove it first (dpkg -r $pkg): this test installs and removes its own"
fi

# What the package holds.
contents="$(dpkg-deb --contents "$deb" | awk '{print $6}' | sed -E 's#^\./#/#; s#^([^/])#/\1#')"
for f in /usr/bin/switchboard-desktop /usr/bin/switchboard /usr/share/metainfo/dev.switchboard.app.metainfo.xml; do
  grep -qx "$f" <<<"$contents" || fail "$f is not in the .deb"
done
desktop_file="$(grep -E '^/usr/share/applications/.*\.desktop$' <<<"$contents" | head -1)"
[ -n "$desktop_file" ] || fail "no desktop entry in the .deb"
for size in 16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512; do
  grep -q "^/usr/share/icons/hicolor/$size/apps/" <<<"$contents" || fail "no $size icon in the .deb"
done
depends="$(dpkg-deb --field "$deb" Depends)"
grep -q libwebkit2gtk-4.1-0 <<<"$depends" || fail "Depends lacks WebKitGTK: $depends"
ok "the .deb holds the app, the CLI, $desktop_file, icons 16-512 px and the AppStream file; Depends: $depends"

if [ -n "$rpm_file" ]; then
  rpm_contents="$(rpm -qlp "$rpm_file" 2>/dev/null)"
  for f in /usr/bin/switchboard-desktop /usr/bin/switchboard /usr/share/metainfo/dev.switchboard.app.metainfo.xml; do
    grep -qx "$f" <<<"$rpm_contents" || fail "$f is not in $rpm_file"
  done
  ok "the .rpm holds the app, the CLI and the AppStream file"
fi

cleanup() {
  if [ -n "${app_pid:-}" ]; then kill "$app_pid" 2>/dev/null || true; fi
  if dpkg -s "$pkg" >/dev/null 2>&1; then $SUDO dpkg -r "$pkg" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

$SUDO dpkg -i "$deb" >/dev/null || fail "dpkg -i failed"
dpkg -s "$pkg" | grep -q '^Status: install ok installed' || fail "dpkg does not report $pkg installed"
ok "dpkg -i installed $pkg"

desktop-file-validate "$desktop_file" || fail "$desktop_file is not a valid desktop entry"
grep -q '^Exec=switchboard-desktop' "$desktop_file" || fail "the desktop entry does not start switchboard-desktop"
appstreamcli validate --no-net /usr/share/metainfo/dev.switchboard.app.metainfo.xml >/dev/null \
  || fail "the installed AppStream metadata does not validate"
ok "the desktop entry and AppStream metadata validate"

# The installed CLI, from PATH.
[ "$(command -v switchboard)" = /usr/bin/switchboard ] || fail "switchboard is not /usr/bin/switchboard on PATH"
switchboard --version | grep -q '^switchboard ' || fail "switchboard --version"
switchboard formats "+1 415 555 0100" | grep -q '+14155550100' || fail "switchboard formats"
ok "the installed CLI runs from PATH: $(switchboard --version)"

# The installed app: a window titled Switchboard on a virtual display, still up seconds later, and
# its log file says it started. Its config, data and keychain are throwaway.
home="$(mktemp -d -t switchboard-bundle-test.XXXXXX)"
mkdir -p "$home/config" "$home/cache" "$home/state"
log="$root/target/bundle-test-app.log"
mkdir -p "$root/target"
XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" XDG_STATE_HOME="$home/state" \
  SWITCHBOARD_KEYCHAIN_SERVICE="switchboard-bundle-test-$$" WEBKIT_DISABLE_COMPOSITING_MODE=1 \
  SWITCHBOARD_SANDBOX_API_KEY=demo SWITCHBOARD_SANDBOX_QUIRKS= \
  xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh bash -c '
    data="$XDG_DATA_HOME"   # with-keyring.sh made a fresh one; the app logs under it
    /usr/bin/switchboard-desktop >"$1" 2>&1 & app=$!
    for _ in $(seq 1 60); do
      if xwininfo -root -tree 2>/dev/null | grep -q "\"Switchboard\""; then break; fi
      kill -0 $app 2>/dev/null || { echo "the app exited early (status: $(wait $app; echo $?))"; exit 1; }
      sleep 0.5
    done
    xwininfo -root -tree | grep -q "\"Switchboard\"" || { echo "no window titled Switchboard after 30 s"; kill $app; exit 1; }
    # The app serves its in-app sandbox connector: the installed CLI signs in to it and looks up.
    addr=""
    for _ in $(seq 1 60); do
      addr="$(grep -a "sandbox connector listening" "$1" | grep -ao "127\.0\.0\.1:[0-9]*" | head -1 || true)"
      [ -n "$addr" ] && break
      sleep 0.5
    done
    [ -n "$addr" ] || { echo "the app never said its sandbox connector was listening"; kill $app; exit 1; }
    switchboard --server "http://$addr" login --api-key demo >/dev/null || { kill $app; exit 1; }
    switchboard --server "http://$addr" find +14155550123 | grep -q "Katherine Johnson" \
      || { echo "the CLI found no contact on the app'"'"'s sandbox"; kill $app; exit 1; }
    sleep 2
    kill -0 $app 2>/dev/null || { echo "the app exited after showing its window"; exit 1; }
    import -window root "$2" 2>/dev/null || true
    ls "$data"/dev.switchboard.app/logs/* >/dev/null 2>&1 || { echo "no log file under $data/dev.switchboard.app/logs"; kill $app; exit 1; }
    kill -TERM $app; wait $app 2>/dev/null || true
  ' bash "$log" "$root/target/bundle-test.png" || { cat "$log" >&2; rm -rf "$home"; fail "the installed app did not come up (log above)"; }
rm -rf "$home"
ok "the installed app showed its window, served its sandbox to the installed CLI, stayed up and logged (screenshot: target/bundle-test.png)"

$SUDO dpkg -r "$pkg" >/dev/null || fail "dpkg -r failed"
status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
case "$status" in "" | "un "*) ;; *) fail "dpkg still lists $pkg after removal: $status" ;; esac
left=()
while read -r f; do
  [ -n "$f" ] && [ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
done <<<"$contents"
[ ${#left[@]} -eq 0 ] || fail "files left after dpkg -r: ${left[*]}"
ok "dpkg -r removed $pkg and every file it installed"
echo "$pass passed, 0 failed"
