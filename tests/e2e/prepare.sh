#!/usr/bin/env bash
# Sourced by tests/e2e/run.sh and tests/demo.sh (from the repository root):
# builds what is missing (host binaries, extension dist folders) and installs
# the tier's npm packages. `e2e_prepare` returns non-zero on failure.
# Usage: e2e_prepare BIN_DIR. With $VIDKEEP_BIN set, binaries are never built.

e2e_prepare() {
  local bin=$1
  if [ ! -x "$bin/vidkeep-host" ] || [ ! -x "$bin/vidkeep" ]; then
    if [ -n "${VIDKEEP_BIN:-}" ]; then echo "no binaries in $bin" >&2; return 1; fi
    echo "building the host into build/ ..." >&2
    { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build; } >&2 || return 1
  fi
  if [ ! -f extension/dist/chromium/manifest.json ] || [ ! -f extension/dist/firefox/manifest.json ]; then
    echo "building the extension into extension/dist/ ..." >&2
    (cd extension && npm ci --no-audit --no-fund && npm run build) >&2 || return 1
  fi
  if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/ws ] \
     || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
    (cd tests/e2e && npm ci --no-audit --no-fund) >&2 || return 1
  fi
  local tool
  for tool in node ffmpeg zip; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (installer/deps.sh test installs it)" >&2; return 1; }
  done
  [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null || command -v firefox-esr >/dev/null \
    || { echo "no Chromium or Firefox ESR (installer/deps.sh test installs them)" >&2; return 1; }
}
