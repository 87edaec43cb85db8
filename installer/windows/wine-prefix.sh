#!/usr/bin/env bash
# Creates (once) the private Wine prefix the Windows .exe files run in and
# prints its path: ${VIDKEEP_WINEPREFIX:-<cache>/wine}, where <cache> is
# ${VIDKEEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vidkeep}. The same path is
# what cmake/mingw-w64.cmake gives ctest. `wineboot -i` takes ~20 s the first
# time; a prefix marked complete is reused. Never touches ~/.wine.
set -euo pipefail
cache=${VIDKEEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vidkeep}
prefix=${VIDKEEP_WINEPREFIX:-$cache/wine}
if [ ! -f "$prefix/.vidkeep-complete" ]; then
  command -v wineboot >/dev/null || { echo "wine-prefix: wine is not installed: run installer/deps.sh windows" >&2; exit 1; }
  echo "wine-prefix: creating $prefix" >&2
  rm -rf "$prefix"
  mkdir -p "$(dirname "$prefix")"
  # No desktop integration (menus, file associations) and no Mono/Gecko
  # download prompts: the prefix is for console programs only.
  WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml,winemenubuilder.exe=' \
    nice wineboot -i >&2 2>/dev/null
  WINEPREFIX=$prefix wineserver -w
  touch "$prefix/.vidkeep-complete"
fi
echo "$prefix"
