#!/usr/bin/env bash
# vidkeep benchmark (issue 8): vidkeep-host against a plain Python host, over
# pipes as a browser talks to it. See docs/benchmarks.md.
#   bench/run.sh                 full run (~10 min): JSON in bench/results/, table in docs/benchmarks.md
#   bench/run.sh --smoke         tiny sizes, proves it still runs (< 60 s), no timing assertions
#   options: --bin DIR (or $VIDKEEP_BENCH_BIN): the host binaries to measure; default: the
#              committed HEAD, exported with git archive to build-bench/src and built in Release
#              into build-bench/bin (others edit host/ in this checkout meanwhile)
#            --worktree: build the working tree as it is instead (build-bench/bin)
#            --skip-extension, --keep (keep the temporary databases), --no-doc
#            --only PARTS: some of ingest,cold,lat,sync,extension,download (no doc update)
#   bench/run.sh --scale [--sizes 10000,100000,1000000] [--no-doc]
#                list, search, cold start and database size at 10k/100k/1M stored videos
#                (bench/scale.py; databases cached in ~/.cache/vidkeep/bench): the Scale table
#   bench/run.sh --floor         SQLite's own CPU per ingested video (bench/sqlite_floor.py)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

smoke=0; skip_ext=0; keep=0; doc=1; worktree=0; only=; scale=0; sizes=; floor=0
bin="${VIDKEEP_BENCH_BIN:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --skip-extension) skip_ext=1 ;;
    --keep) keep=1 ;;
    --no-doc) doc=0 ;;
    --worktree) worktree=1 ;;
    --bin) bin="$2"; shift ;;
    --only) only="$2"; doc=0; shift ;;
    --scale) scale=1 ;;
    --floor) floor=1 ;;
    --sizes) sizes="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# The host under test: our own Release build unless told otherwise (build/ is
# rebuilt by others at any moment).
built=""
if [ -z "$bin" ]; then
  if [ "$worktree" = 0 ]; then
    rev=$(git rev-parse --short HEAD)
    src=$root/build-bench/src; out=$root/build-bench
    if [ "$(cat build-bench/src.rev 2>/dev/null)" != "$rev" ]; then
      rm -rf "$src" && mkdir -p "$src"
      git archive HEAD | tar -x -C "$src"
      echo "$rev" >build-bench/src.rev
    fi
    built="commit $rev (git archive)"
  else
    src=$root; out=$root/build-bench-wt
    built="working tree"
  fi
  # A build dir made from another source dir is started afresh.
  if [ -f "$out/CMakeCache.txt" ] && ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$src" "$out/CMakeCache.txt"; then
    rm -rf "$out/CMakeCache.txt" "$out/CMakeFiles"
  fi
  echo "bench/run.sh: building $built in Release into ${out#$root/}/" >&2
  cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIDKEEP_TESTS=OFF >/dev/null
  cmake --build "$out" >/dev/null
  bin=$out/bin
fi
bin=$(cd "$bin" && pwd)
[ -x "$bin/vidkeep-host" ] || { echo "bench/run.sh: no vidkeep-host in $bin" >&2; exit 1; }

# The driver and the spawn floor: C++/C, built here (no interpreter in the measured path).
tools="$root/build-bench/tools"
mkdir -p "$tools"
if [ ! -x "$tools/driver" ] || [ bench/driver.cpp -nt "$tools/driver" ]; then
  c++ -O2 -std=c++20 -pthread -Wall -Wextra -o "$tools/driver.tmp" bench/driver.cpp -lcrypto && mv "$tools/driver.tmp" "$tools/driver"
fi
if [ ! -x "$tools/trivial_host" ] || [ bench/trivial_host.c -nt "$tools/trivial_host" ]; then
  cc -O2 -Wall -o "$tools/trivial_host" bench/trivial_host.c
fi

if [ "$scale" = 1 ]; then
  args=(--built "${built:-given binaries}" --bin "$bin" --driver "$tools/driver")
  [ -n "$sizes" ] && args+=(--sizes "$sizes")
  [ "$doc" = 1 ] && args+=(--doc "$root/docs/benchmarks.md")
  exec python3 bench/scale.py "${args[@]}"
fi

[ "$floor" = 1 ] && exec python3 bench/sqlite_floor.py --bin "$bin" --variants
# The smoke run proves the floor script still runs against the host's schema.
[ "$smoke" = 1 ] && python3 bench/sqlite_floor.py --bin "$bin" --n 2000 --rounds 1 --variants

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ "$skip_ext" = 0 ]; then
  if [ ! -x "$chromium" ]; then
    echo "bench/run.sh: no Chromium at $chromium; skipping the extension figure" >&2; skip_ext=1
  else
    [ -d bench/node_modules/playwright-core ] || (cd bench && npm ci --no-audit --no-fund >/dev/null)
    [ -f extension/dist/chromium/manifest.json ] || (cd extension && npm ci --no-audit --no-fund >/dev/null && npm run build >/dev/null)
  fi
fi

args=(--built "${built:-given binaries}" --bin "$bin" --driver "$tools/driver" --trivial "$tools/trivial_host" --chromium "$chromium")
[ "$smoke" = 1 ] && args+=(--smoke)
[ "$skip_ext" = 1 ] && args+=(--skip-extension)
[ "$keep" = 1 ] && args+=(--keep)
[ -n "$only" ] && args+=(--only "$only")
[ "$smoke" = 0 ] && [ "$doc" = 1 ] && args+=(--doc "$root/docs/benchmarks.md")
exec python3 bench/bench.py "${args[@]}"
