#!/usr/bin/env bash
# Installs the Debian packages vidkeep needs, only those missing.
#   installer/deps.sh build   compilers and libraries to build vidkeep
#   installer/deps.sh test    build + windows + what the test tiers need (browsers, tools)
#   installer/deps.sh windows build + the MinGW-w64 cross compiler, the tools
#                             installer/windows/sdk.sh builds the SDK with, Wine and wixl
# As root it runs apt-get; otherwise it prints the one command to run.
# Node.js 20 and npm come with the machine; Debian's own nodejs (18) and npm
# packages are deliberately not installed (npm conflicts with the newer one).
set -euo pipefail

build_packages=(
  cmake g++ ninja-build pkg-config ccache
  libboost1.81-dev libboost-url1.81-dev
  libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev libcli11-dev
  catch2 libssl-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
)
test_packages=(
  chromium chromium-driver firefox-esr
  shellcheck clang libclang-rt-14-dev ffmpeg xz-utils zip unzip
  jq dpkg-dev openssl sqlite3
)
# The Windows build (installer/windows/): cross compiler; what sdk.sh needs to
# unpack Debian source packages (dpkg-dev) and build them (perl for OpenSSL,
# make, tclsh and a native gcc for SQLite's amalgamation); Wine to run the
# .exe files; msitools (wixl) for the MSI.
windows_packages=(
  g++-mingw-w64-x86-64-posix gcc make perl tcl dpkg-dev
  wine wine64 msitools wixl
)

want=("${build_packages[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_packages[@]}" "${windows_packages[@]}") ;;
  windows) want+=("${windows_packages[@]}") ;;
  *) echo "usage: $0 [build|test|windows]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "vidkeep needs these Debian/Ubuntu packages (or your distribution's equivalents):" >&2
  echo "  ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "vidkeep needs packages that are not installed. Run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing or stale on a fresh machine.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
