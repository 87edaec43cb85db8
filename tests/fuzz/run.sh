#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/ and runs
# each over its committed seed corpus, its regression inputs, and then for a
# time budget.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   default 15 s per target, all targets
#   tests/fuzz/run.sh 600                     the long run (10 minutes each)
#
# Targets: frame_decoder request_parser url config. New inputs libFuzzer finds
# are kept in build-fuzz/corpus/<target>/ (reused by the next run, not
# committed); a crash leaves its input in build-fuzz/artifacts/<target>/ and
# fails the script. Every crash becomes a file in tests/fuzz/regressions/<target>/
# (run here on every call) and a unit test named after what it caught.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=${1:-15}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame_decoder request_parser url config)

cxx=$(command -v clang++-14 || command -v clang++ || true)
cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cxx" ]; then echo "fuzz: clang++ not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; fi

build=$root/build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=$cc CXX=$cxx cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVIDKEEP_FUZZ=ON -DVIDKEEP_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target vidkeep_fuzz

declare -A dict=([request_parser]=json.dict [config]=json.dict [url]=url.dict)
declare -A max_len=([frame_decoder]=16384 [request_parser]=16384 [url]=4096 [config]=8192)
status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/${t}_fuzz
  seeds=$root/tests/fuzz/corpus/$t
  regressions=$root/tests/fuzz/regressions/$t
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=$build/$t.log
  opts=(-max_len="${max_len[$t]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  [ -n "${dict[$t]:-}" ] && opts+=(-dict="$root/tests/fuzz/${dict[$t]}")

  # 1. Every regression input once, by itself: these crashed once.
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    if ! "$bin" "${opts[@]}" "$regressions"/* >"$log.regressions" 2>&1; then
      echo "fuzz $t: a regression input fails again (see $log.regressions)" >&2
      tail -30 "$log.regressions" >&2
      status=1
      continue
    fi
  fi
  # 2. The corpus, then new inputs for the time budget. New inputs go to the
  #    first directory (the work corpus), never into the committed seeds.
  started=$(date +%s)
  if ! "$bin" "${opts[@]}" -max_total_time="$seconds" "$work" "$seeds" >"$log" 2>&1; then
    echo "fuzz $t: FOUND A CRASH (input in $artifacts/)" >&2
    grep -E "ERROR|invariant failed|SUMMARY|Test unit written" "$log" | head -20 >&2
    status=1
  fi
  elapsed=$(( $(date +%s) - started ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  corpus=$(ls "$work" | wc -l)
  seedn=$(ls "$seeds" | wc -l)
  summary+=("$(printf '%-15s %6ss %12s execs  %-22s corpus %s (seeds %s)' "$t" "$elapsed" "${execs:-?}" "${cov:-?}" "$corpus" "$seedn")")
done
printf '\nfuzz summary (%s s budget per target)\n' "$seconds"
printf '  %s\n' "${summary[@]}"
exit $status
