#!/usr/bin/env bash
# Cross-builds vidkeep for 64-bit Windows on Debian, from a fresh machine:
#   installer/windows/build.sh [cmake --build options, e.g. --target vidkeep]
# 1. the Debian packages (installer/deps.sh windows; as root it installs them),
# 2. the dependency SDK from Debian source packages (installer/windows/sdk.sh,
#    cached outside the clone: minutes cold, a second warm),
# 3. the Wine prefix the test executable runs in (catch_discover_tests lists
#    the Catch2 cases by running it at build time),
# 4. the same CMake project, configured with cmake/mingw-w64.cmake, built into
#    build-win/: build-win/bin/vidkeep-host.exe, vidkeep.exe, vidkeep_tests.exe
#    (static: no DLL beside them),
# 5. the per-machine MSI from them (installer/windows/msi.sh):
#    build-win/vidkeep.msi, unless only some targets were asked for.
set -euo pipefail
cd "$(dirname "$0")/../.."
installer/deps.sh windows
sdk=$(installer/windows/sdk.sh)
installer/windows/wine-prefix.sh >/dev/null

launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# Release at -O2 (the optimisation of the Linux RelWithDebInfo build) without
# debug information, stripped: with DWARF the .exe files are 140-230 MB each
# and take minutes to link; stripped they are a few MB.
cmake -S . -B build-win -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64.cmake" \
  -DVIDKEEP_WIN_SDK="$sdk" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS_RELEASE=-s "${launcher[@]}" >/dev/null
nice cmake --build build-win -j "${VIDKEEP_JOBS:-2}" "$@"
[ $# -gt 0 ] || installer/windows/msi.sh
