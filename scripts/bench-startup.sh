#!/usr/bin/env bash
# Desktop start-up benchmark (issue 14; docs/PERFORMANCE.md, "Start-up"). Runs the Switchboard
# app and an empty Tauri app of the same Tauri version (bench/empty-tauri: one window, a one-line
# page, the same release profile) interleaved N times each, every run on its own Xvfb display,
# D-Bus session, unlocked keyring and fresh home, and prints the medians:
#   exec → window mapped   the app's top-level window maps (MapNotify, seen by `xev -root`)
#   exec → first paint     the page's first frame (the page reports it; see startup_mark)
#   exec → ready           Switchboard: the first view painted with its manifest preview (the
#                          sandbox serving, the profile open); the empty app: its first paint
#   exec → call-log forms  Switchboard: the frame after ready, which adds the preview's two
#                          call-log forms; the empty app: its first paint
#   CPU in the first 10 s  user + system time of the app and its WebKit processes
#   PSS at 10 s            proportional set size of the same processes (smaps_rollup)
#   binary                 the release binary's size (stripped by the release profile)
#
# Usage: scripts/bench-startup.sh            N=4 scripts/bench-startup.sh
#   SWITCHBOARD_APP=/path EMPTY_APP=/path     use these binaries instead of building
#   COMPOSITING=1                             also run both apps with WebKit's compositing forced
#                                             the other way (WEBKIT_DISABLE_COMPOSITING_MODE=0 for
#                                             Switchboard, =1 for the empty app)
# Builds (unless given): ui/dist, then both apps with `cargo build --release` into
# ${CARGO_TARGET_DIR:-target}/release; the empty app builds offline from the crates Switchboard
# already needs. The machine is shared: the load average is printed beside the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

N="${N:-8}"
SETTLE="${SETTLE:-10}"
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
APP="${SWITCHBOARD_APP:-$target_dir/release/switchboard-desktop}"
EMPTY="${EMPTY_APP:-$target_dir/release/empty-tauri}"

# ---- one run (re-entered inside its own D-Bus session) -------------------------------------
if [ "${1:-}" = "--one-run" ]; then
  label="$2" bin="$3" out="$4" compositing="$5"
  home="$(mktemp -d -t switchboard-startup.XXXXXX)"
  xvfb_pid="" xev_pid="" app_pid=""
  stop() { # pid: SIGTERM, up to 5 s, then SIGKILL
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
  }
  finish() {
    stop "$app_pid"
    stop "$xev_pid"
    stop "$xvfb_pid"
    rm -rf "$home"
  }
  trap finish EXIT
  export HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data"
  export XDG_CACHE_HOME="$home/cache"
  mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
  printf '%s' "bench-unlock" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec 5<> <(:)
  Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp </dev/null >/dev/null 2>&1 &
  xvfb_pid=$!
  read -r -t 10 display <&5
  export DISPLAY=":$display"
  # Every top-level map, stamped as it arrives (microseconds since the epoch); the stamping
  # reader ends when xev does.
  stdbuf -oL xev -root -event substructure </dev/null 2>/dev/null > >(
    while IFS= read -r line; do
      case "$line" in MapNotify*) echo "${EPOCHREALTIME/./}" ;; esac
    done >"$home/maps" 2>/dev/null
  ) &
  xev_pid=$!
  sleep 0.3 # xev is listening
  if [ "$compositing" != "auto" ]; then export WEBKIT_DISABLE_COMPOSITING_MODE="$compositing"; fi
  export SWITCHBOARD_STARTUP_MARKS="$home/marks"
  start="${EPOCHREALTIME/./}"
  "$bin" </dev/null >"$home/app.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 1 300); do
    grep -q '^forms ' "$home/marks" 2>/dev/null && break
    # An app that marks no "forms" (the empty app; a build that drew them with its ready frame).
    if grep -q '^ready ' "$home/marks" 2>/dev/null; then
      [ "${waited:=0}" -ge 10 ] && break
      waited=$((waited + 1))
    fi
    sleep 0.1
  done
  # CPU and PSS of the app and every process under it, SETTLE seconds after exec.
  now="${EPOCHREALTIME/./}"
  left=$(( start + SETTLE * 1000000 - now ))
  [ "$left" -gt 0 ] && sleep "$(printf '%d.%06d' $((left / 1000000)) $((left % 1000000)))"
  tree() { echo "$1"; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$c"; done; }
  ticks=0 pss=0
  for p in $(tree "$app_pid"); do
    read -r -a st < <(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null || true)
    [ "${#st[@]}" -gt 14 ] || continue
    ticks=$(( ticks + st[11] + st[12] + st[13] + st[14] )) # utime stime cutime cstime
    kb="$(awk '/^Pss:/ { print $2 }' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)"
    pss=$(( pss + ${kb:-0} ))
  done
  hz="$(getconf CLK_TCK)"
  map="$(head -n 1 "$home/maps" 2>/dev/null || true)"
  paint="$(awk '$1 == "paint" { print $2; exit }' "$home/marks" 2>/dev/null || true)"
  ready="$(awk '$1 == "ready" { print $2; exit }' "$home/marks" 2>/dev/null || true)"
  forms="$(awk '$1 == "forms" { print $2; exit }' "$home/marks" 2>/dev/null || true)"
  [ -n "$forms" ] || forms="$ready" # no forms of their own: the empty app, or drawn with ready
  ms() { [ -n "$1" ] && echo $(( ($1 - start) / 1000 )) || echo NA; }
  msj() { [ -n "$1" ] && echo $(( $1 - start / 1000 )) || echo NA; }
  errors="$(grep -c -i 'error' "$home/app.log" || true)"
  echo "$label $(ms "$map") $(msj "$paint") $(msj "$ready") $(( ticks * 1000 / hz )) $(( pss / 1024 )) $errors $(msj "$forms")" >>"$out"
  exit 0
fi

# ---- set-up --------------------------------------------------------------------------------
need=()
for tool in Xvfb:xvfb xev:x11-utils dbus-run-session:dbus gnome-keyring-daemon:gnome-keyring; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]} (apt)" >&2
  apt-get install -y "${need[@]}" >/dev/null
fi
if [ -z "${SWITCHBOARD_APP:-}" ]; then
  make --no-print-directory ui >&2
  cargo build --release -p switchboard-desktop >&2
fi
if [ -z "${EMPTY_APP:-}" ]; then
  cargo build --release --offline --manifest-path bench/empty-tauri/Cargo.toml \
    --target-dir "$target_dir" >&2
fi

results="$(mktemp -t switchboard-startup-results.XXXXXX)"
trap 'rm -f "$results"' EXIT
runs=("switchboard $APP auto" "empty $EMPTY auto")
if [ -n "${COMPOSITING:-}" ]; then
  runs+=("switchboard-compositing $APP 0" "empty-no-compositing $EMPTY 1")
fi
echo "$(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) before; N=$N runs each," \
  "interleaved; GPU render node: $(ls /dev/dri/renderD* 2>/dev/null || echo none)" >&2
for i in $(seq 1 "$N"); do
  order=("${runs[@]}")
  # Alternate which app goes first, so neither always runs on a cooler machine.
  if [ $((i % 2)) -eq 0 ]; then
    reversed=()
    for ((k = ${#order[@]} - 1; k >= 0; k--)); do reversed+=("${order[k]}"); done
    order=("${reversed[@]}")
  fi
  for r in "${order[@]}"; do
    read -r label bin compositing <<<"$r"
    dbus-run-session -- "$0" --one-run "$label" "$bin" "$results" "$compositing" </dev/null
    echo "run $i: $(tail -n 1 "$results")" >&2
  done
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after" >&2

python3 - "$results" "$APP" "$EMPTY" <<'EOF'
import os, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, *values = line.split()
    rows.setdefault(label, []).append(values)
def median(label, i):
    vals = [float(v[i]) for v in rows.get(label, []) if len(v) > i and v[i] != "NA"]
    return statistics.median(vals) if vals else None
labels = [l for l in ("switchboard", "empty", "switchboard-compositing", "empty-no-compositing") if l in rows]
names = {"switchboard": "Switchboard", "empty": "empty Tauri app",
         "switchboard-compositing": "Switchboard, compositing on",
         "empty-no-compositing": "empty app, compositing off"}
metrics = [("exec → window mapped", 0, "ms"), ("exec → first paint", 1, "ms"),
           ("exec → ready", 2, "ms"), ("exec → call-log forms painted", 6, "ms"),
           ("CPU in the first 10 s", 3, "s"),
           ("PSS at 10 s (app + WebKit processes)", 4, "MiB")]
def show(v, unit):
    if v is None: return "n/a"
    return f"{v/1000:.2f} s" if unit == "s" else f"{v:.0f} {unit}"
print("| what | " + " | ".join(names[l] for l in labels) + " | ratio |")
print("|---|" + "---|" * len(labels) + "---|")
for title, i, unit in metrics:
    vals = [median(l, i) for l in labels]
    a, b = median("switchboard", i), median("empty", i)
    ratio = f"{a / b:.2f}" if a is not None and b else "n/a"
    print(f"| {title} | " + " | ".join(show(v, unit) for v in vals) + f" | {ratio} |")
sizes = {"switchboard": sys.argv[2], "empty": sys.argv[3], "switchboard-compositing": sys.argv[2],
         "empty-no-compositing": sys.argv[3]}
mb = {l: os.path.getsize(sizes[l]) / 1e6 for l in labels}
print("| release binary | " + " | ".join(f"{mb[l]:.1f} MB" for l in labels) +
      f" | {mb['switchboard'] / mb['empty']:.2f} |")
errs = {l: sum(int(v[5]) for v in rows[l]) for l in labels}
print("\nruns per app: " + ", ".join(f"{names[l]} {len(rows[l])}" for l in labels) +
      "; log lines mentioning an error: " + ", ".join(f"{names[l]} {errs[l]}" for l in labels))
EOF
