#!/usr/bin/env bash
# README command 2: installs what the tests need, builds, and runs every tier.
#   tests/run.sh            everything
#   VIDKEEP_SKIP_EXTENSION=1 tests/run.sh   skip the extension tier
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Each step says when it started and how long the whole run has taken, so a
# log shows where a first run on a new machine spends its time.
step() { printf '\n== %s  [%s, +%d s]\n' "$*" "$(date +%T)" "$SECONDS"; }

step "dependencies"
installer/deps.sh test

# ccache hits across clones: paths are hashed relative to the checkout.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

step "build (build/)"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build build

step "unit tests (Catch2 via ctest)"
ctest --test-dir build -j"$(nproc)" --output-on-failure

step "host integration tests (real binaries over pipes)"
VIDKEEP_BIN="$root/build/bin" node --test --test-concurrency="$(nproc)" --test-timeout=600000 tests/host/

step "Wine tier (Windows build: unit tests, host tests over pipes, Chrome/Firefox launch, MSI; tests/windows/run.sh)"
tests/windows/run.sh

step "installer tier (install.sh, doctor, .deb, browsers find the host)"
tests/installer/run.sh

if [ -z "${VIDKEEP_SKIP_EXTENSION:-}" ] && [ -f extension/package.json ]; then
  step "extension (npm ci, build, typecheck, eslint, unit tests, web-ext lint)"
  (cd extension && npm ci --no-audit --no-fund && npm run check)
fi

step "benchmark smoke run (bench/run.sh --smoke: tiny sizes, no timing assertions)"
bench_args=(--smoke)
[ -n "${VIDKEEP_SKIP_EXTENSION:-}" ] && bench_args+=(--skip-extension)
VIDKEEP_BENCH_BIN="$root/build/bin" bench/run.sh "${bench_args[@]}"

step "end-to-end tier (real Chromium and Firefox ESR, extension, installed host, demo chat app)"
VIDKEEP_BIN="$root/build/bin" tests/e2e/run.sh

step "hardening tier (crash, disk full, load, hostile peers, security; ASan+UBSan; fuzz smoke)"
tests/hardening/run.sh

step "all tiers passed"
