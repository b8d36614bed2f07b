#!/usr/bin/env bash
# Command-line start-up benchmark (issue 14; docs/PERFORMANCE.md, "Command line"). With hyperfine
# (installed from apt when absent), process start included, warm file cache:
#   - `switchboard find NUMBER --json` against a local sandbox, beside `curl` of the very request
#     `find` sends (same URL, token in the query), and their ratio (target: at most 2);
#   - `switchboard formats` (phone metadata) and `switchboard manifest check` of a 66 KB manifest
#     made of the real reference manifests (target: each under 10 ms);
#   - `switchboard --version`, the floor: process start, no work.
#
# Usage: scripts/bench-cli.sh                  RUNS=100 scripts/bench-cli.sh
#        SWITCHBOARD_BIN=/path/to/switchboard scripts/bench-cli.sh   (skips the build)
# The release build goes to ${CARGO_TARGET_DIR:-target}/release. The sign-in needs a Secret
# Service: the script re-runs itself under scripts/with-keyring.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SWITCHBOARD_BENCH_IN_KEYRING:-}" ]; then
  exec scripts/with-keyring.sh env SWITCHBOARD_BENCH_IN_KEYRING=1 "$0" "$@"
fi

RUNS="${RUNS:-50}"
target_dir="${CARGO_TARGET_DIR:-target}"
BIN="${SWITCHBOARD_BIN:-$target_dir/release/switchboard}"
REFERENCE="${REFERENCE:-../shared/reference/manifests}"
export SWITCHBOARD_KEYCHAIN_SERVICE="switchboard-bench-cli-$$"

if ! command -v hyperfine >/dev/null; then
  echo "installing hyperfine (apt package)" >&2
  apt-get install -y hyperfine >/dev/null
fi
if [ -z "${SWITCHBOARD_BIN:-}" ]; then
  cargo build --release -p switchboard-cli >&2
fi

work="$(mktemp -d -t switchboard-bench-cli.XXXXXX)"
sandbox_pid=""
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null || true
  "$BIN" forget-all >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The combined manifest: every platform of the reference manifests in one file, then second
# copies of the three largest, two-space indented (66 KB).
python3 - "$REFERENCE" "$work/combined.json" <<'EOF'
import glob, json, os, sys
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.json")))
if not files:
    sys.exit(f"no reference manifests in {sys.argv[1]}")
manifest, platforms = None, {}
for f in files:
    m = json.load(open(f))
    if manifest is None:
        manifest = {k: v for k, v in m.items() if k != "platforms"}
    platforms.update(m["platforms"])
for name in sorted(platforms, key=lambda n: -len(json.dumps(platforms[n])))[:3]:
    platforms[name + "2"] = dict(platforms[name], name=name + "2")
manifest["platforms"] = platforms
open(sys.argv[2], "w").write(json.dumps(manifest, indent=2, ensure_ascii=False))
EOF

"$BIN" sandbox --port 0 >"$work/sandbox.out" 2>/dev/null &
sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q 'http://' "$work/sandbox.out" 2>/dev/null && break
  sleep 0.1
done
url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/sandbox.out")"
"$BIN" --server "$url" login --api-key demo >/dev/null
number="+14155550100"
"$BIN" --server "$url" find "$number" --json >/dev/null # one real lookup before timing anything

# curl sends what `find` sends: its own sign-in gives the token (kept in this script's memory).
jwt="$(curl -s -X POST "$url/apiKeyLogin" -H 'content-type: application/json' \
  -d '{"platform":"sandbox","apiKey":"demo"}' | grep -o '"jwtToken":"[^"]*"' | cut -d'"' -f4)"
target="$url/contact?jwtToken=$jwt&phoneNumber=%2B14155550100&overridingFormat=&isExtension=false"

echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before; $RUNS runs each" \
  "($("$BIN" --version), $(stat -c %s "$BIN") bytes)"
hyperfine -N --warmup 5 --runs "$RUNS" --style basic --export-json "$work/cli.json" \
  -n curl "curl -s -o /dev/null $target" \
  -n find "$BIN --server $url find $number --json" \
  -n formats "$BIN formats $number -f (***)***-****" \
  -n "manifest check" "$BIN manifest check $work/combined.json" \
  -n version "$BIN --version" >"$work/hyperfine.txt" 2>&1 || { cat "$work/hyperfine.txt"; exit 1; }
[ -s "$work/cli.json" ] || { cat "$work/hyperfine.txt"; exit 1; }
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after"

python3 - "$work/cli.json" "$(stat -c %s "$work/combined.json")" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
kb = int(sys.argv[2]) / 1024
def ms(name):
    return results[name]["median"] * 1000
print(f"| command | median | mean ± σ | min |")
print(f"|---|---|---|---|")
labels = {"curl": "curl, the same request", "find": "switchboard find --json",
          "formats": "switchboard formats", "manifest check": f"switchboard manifest check ({kb:.0f} KB)",
          "version": "switchboard --version"}
for name, label in labels.items():
    r = results[name]
    print(f"| {label} | {ms(name):.1f} ms | {r['mean']*1000:.1f} ± {r['stddev']*1000:.1f} ms | {r['min']*1000:.1f} ms |")
print(f"\nfind / curl = {ms('find') / ms('curl'):.2f} (target: at most 2.00)")
for name in ("formats", "manifest check"):
    print(f"{name}: {ms(name):.1f} ms (target: under 10 ms)")
EOF
