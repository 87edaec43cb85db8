#!/usr/bin/env bash
# Builds the per-machine MSI (installer/windows/vidkeep.wxs) from the
# cross-built binaries with wixl (Debian's msitools): the Windows counterpart
# of the .deb (packaging/cpack.cmake), with the same extension ids.
#
#   installer/windows/msi.sh [--bin DIR] [--out FILE] [--extension-id ID]... [--no-dev-id] [--dev-ids]
#
#   --bin DIR          where vidkeep-host.exe and vidkeep.exe are (default build-win/bin)
#   --out FILE         the MSI to write (default build-win/vidkeep.msi)
#   --extension-id ID  allow this extension: a Chromium id (32 letters a-p) or a
#                      Firefox gecko id; repeatable
#   --no-dev-id        leave the public development ids out
#   --dev-ids          also trust the development ids when --extension-id is given
#
# As for the .deb, an MSI built without --extension-id is a development
# package: its manifests list the public development ids and its config says
# dev_ids (doctor warns). The manifests name the host by the absolute path the
# MSI installs it to (C:\Program Files\vidkeep\vidkeep-host.exe).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

bin=$repo/build-win/bin
out=$repo/build-win/vidkeep.msi
ids=()
no_dev_id=false
dev_ids=false
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift ;;
    --out) out=$2; shift ;;
    --extension-id) ids+=("$2"); shift ;;
    --no-dev-id) no_dev_id=true ;;
    --dev-ids) dev_ids=true ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "msi.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
command -v wixl >/dev/null || { echo "msi.sh: wixl is missing (apt-get install wixl)" >&2; exit 1; }
for exe in vidkeep-host.exe vidkeep.exe; do
  [ -f "$bin/$exe" ] || { echo "msi.sh: $bin/$exe is missing (run installer/windows/build.sh)" >&2; exit 1; }
done

DEV_CHROMIUM=dcdfhfchgbigephadgggjnlglgfffpgb
DEV_GECKO=vidkeep@vidkeep.org
origins=() geckos=() callers=()
dev=false
if ! $no_dev_id && { $dev_ids || [ ${#ids[@]} -eq 0 ]; }; then dev=true; fi
if $dev; then origins+=("chrome-extension://$DEV_CHROMIUM/"); geckos+=("$DEV_GECKO"); fi
for id in "${ids[@]+"${ids[@]}"}"; do
  id=${id#chrome-extension://}; id=${id%/}
  if [[ "$id" =~ ^[a-p]{32}$ ]]; then
    origins+=("chrome-extension://$id/"); callers+=("chrome-extension://$id/")
  elif [[ "$id" =~ ^[A-Za-z0-9._+-]*@[A-Za-z0-9._-]+$ || "$id" =~ ^\{[0-9a-fA-F-]{36}\}$ ]]; then
    geckos+=("$id"); callers+=("$id")
  else
    echo "msi.sh: '$id' is neither a Chromium id (32 letters a-p) nor a Firefox id" >&2; exit 2
  fi
done
json_list() {
  local out='[' sep='' item
  for item in "$@"; do out+="$sep\"$item\""; sep=', '; done
  printf '%s]' "$out"
}

stage=$(mktemp -d "${TMPDIR:-/tmp}/vidkeep-msi.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# The host's path as a JSON string, its backslashes doubled once more for sed.
host_json='C:\\Program Files\\vidkeep\\vidkeep-host.exe'
host_sed=${host_json//\\/\\\\}
render() {  # template list
  sed -e "s|@VIDKEEP_HOST_PATH@|$host_sed|" -e "s|@VIDKEEP_ALLOWED_ORIGINS@|$2|" \
      -e "s|@VIDKEEP_ALLOWED_EXTENSIONS@|$2|" "$repo/manifests/$1.json.in"
}
render chromium "$(json_list "${origins[@]+"${origins[@]}"}")" >"$stage/chromium.json"
render firefox "$(json_list "${geckos[@]+"${geckos[@]}"}")" >"$stage/firefox.json"
sed -e "s|@VIDKEEP_ALLOWED_CALLERS@|$(json_list "${callers[@]+"${callers[@]}"}")|" \
    -e "s|@VIDKEEP_NO_DEV_ID@|$no_dev_id|" -e "s|@VIDKEEP_DEV_IDS@|$dev|" \
    "$repo/manifests/config.json.in" >"$stage/config.json"

version=$(sed -n 's/^project(vidkeep VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
# wixl takes Source paths relative to where it runs only.
ln -s "$(cd "$bin" && pwd)" "$stage/bin"
(cd "$stage" && wixl -a x64 -D Version="$version" -D BinDir=bin -D StageDir=. -o "$out" "$here/vidkeep.wxs")
echo "msi.sh: $out (vidkeep $version; chromium: ${origins[*]:-none}; firefox: ${geckos[*]:-none})"
