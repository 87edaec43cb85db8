#!/usr/bin/env bash
# vidkeep benchmark (issue 8): vidkeep-host against a plain Python host, over
# pipes as a browser talks to it. See docs/benchmarks.md.
#   bench/run.sh                 full run (~10 min): JSON in bench/results/, table in docs/benchmarks.md
#   bench/run.sh --smoke         tiny sizes, proves it still runs (< 60 s), no timing assertions
#   options: --bin DIR (or $VIDKEEP_BENCH_BIN; default build-bench/bin, built here in Release)
#            --skip-extension, --keep (keep the temporary databases), --no-doc
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

smoke=0; skip_ext=0; keep=0; doc=1
bin="${VIDKEEP_BENCH_BIN:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --skip-extension) skip_ext=1 ;;
    --keep) keep=1 ;;
    --no-doc) doc=0 ;;
    --bin) bin="$2"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# The host under test: our own Release build unless told otherwise (build/ is
# rebuilt by others at any moment).
if [ -z "$bin" ]; then
  bin="$root/build-bench/bin"
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIDKEEP_TESTS=OFF >/dev/null
  cmake --build build-bench >/dev/null
fi
bin=$(cd "$bin" && pwd)
[ -x "$bin/vidkeep-host" ] || { echo "bench/run.sh: no vidkeep-host in $bin" >&2; exit 1; }

# The driver and the spawn floor: C++/C, built here (no interpreter in the measured path).
tools="$root/build-bench/tools"
mkdir -p "$tools"
if [ ! -x "$tools/driver" ] || [ bench/driver.cpp -nt "$tools/driver" ]; then
  c++ -O2 -std=c++20 -pthread -Wall -Wextra -o "$tools/driver.tmp" bench/driver.cpp && mv "$tools/driver.tmp" "$tools/driver"
fi
if [ ! -x "$tools/trivial_host" ] || [ bench/trivial_host.c -nt "$tools/trivial_host" ]; then
  cc -O2 -Wall -o "$tools/trivial_host" bench/trivial_host.c
fi

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ "$skip_ext" = 0 ]; then
  if [ ! -x "$chromium" ]; then
    echo "bench/run.sh: no Chromium at $chromium; skipping the extension figure" >&2; skip_ext=1
  else
    [ -d bench/node_modules/playwright-core ] || (cd bench && npm ci --no-audit --no-fund >/dev/null)
    [ -f extension/dist/chromium/manifest.json ] || (cd extension && npm ci --no-audit --no-fund >/dev/null && npm run build >/dev/null)
  fi
fi

args=(--bin "$bin" --driver "$tools/driver" --trivial "$tools/trivial_host" --chromium "$chromium")
[ "$smoke" = 1 ] && args+=(--smoke)
[ "$skip_ext" = 1 ] && args+=(--skip-extension)
[ "$keep" = 1 ] && args+=(--keep)
[ "$smoke" = 0 ] && [ "$doc" = 1 ] && args+=(--doc "$root/docs/benchmarks.md")
exec python3 bench/bench.py "${args[@]}"
