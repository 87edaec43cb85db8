#!/usr/bin/env bash
# The extension for distribution (issue 5; docs/admin.md explains each):
#   packaging/extension.sh store   Chrome Web Store zip (dist/chromium without "key")
#   packaging/extension.sh xpi     unsigned XPI of dist/firefox, for Mozilla's signing:
#                                  web-ext sign --source-dir extension/dist/firefox \
#                                    --channel unlisted --api-key $AMO_JWT_ISSUER --api-secret $AMO_JWT_SECRET
#   packaging/extension.sh crx --key KEY.pem --base-url URL
#                                  self-hosted CRX signed with the admin's key
#                                  (chromium --pack-extension) and its update
#                                  manifest updates.xml; prints the extension id
#                                  (give the same key to install.sh --crx-key)
# Options: --out DIR (default build/packages), --dist DIR (default extension/dist).
# Needs the built extension: cd extension && npm ci && npm run build.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$repo/build/packages"
dist="$repo/extension/dist"
key=''
base_url=''
what=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --dist) dist=$2; shift ;;
    --key) key=$2; shift ;;
    --base-url) base_url=${2%/}; shift ;;
    *) echo "extension.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "extension.sh: $*" >&2; exit 1; }
need_dist() {
  [ -f "$dist/$1/manifest.json" ] || die "no $dist/$1/manifest.json: build the extension first (cd extension && npm ci && npm run build)"
}
version() { jq -r .version "$dist/$1/manifest.json"; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Removes the packing browser's scratch folder. Its helpers (crashpad) may
# outlive the browser for a moment and keep writing there: end those (they
# name the folder on their command line) by PID, and retry.
cleanup_tmp() {
  local dir=$1 p _i
  for _i in $(seq 1 50); do
    for p in /proc/[0-9]*; do
      { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$dir/" && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    rm -rf "$dir" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "extension.sh: warning: could not remove $dir" >&2
}

# A copy of dist/chromium without the development "key" (the store and the
# CRX key decide the id), plus extra top-level fields from a jq filter.
staged_chromium() {
  local stage="$out/stage-chromium"
  rm -rf "$stage"; cp -r "$dist/chromium" "$stage"
  jq "del(.key) $1" "$dist/chromium/manifest.json" >"$stage/manifest.json"
  printf '%s\n' "$stage"
}

case "$what" in
  store)
    need_dist chromium
    stage=$(staged_chromium '')
    file="$out/vidkeep-chromium-$(version chromium)-store.zip"
    rm -f "$file"; (cd "$stage" && zip -qr -X "$file" .); rm -rf "$stage"
    echo "$file" ;;
  xpi)
    need_dist firefox
    file="$out/vidkeep-firefox-$(version firefox)-unsigned.xpi"
    rm -f "$file"; (cd "$dist/firefox" && zip -qr -X "$file" .)
    echo "$file" ;;
  crx)
    need_dist chromium
    [ -n "$key" ] || die "--key KEY.pem is required (create one once: openssl genrsa -out vidkeep-crx.pem 2048; keep it safe)"
    [ -n "$base_url" ] || die "--base-url URL is required (where vidkeep.crx and updates.xml will be served)"
    id=$(openssl pkey -in "$key" -pubout -outform DER | sha256sum | head -c 32 | tr '0-9a-f' 'a-p')
    ver=$(version chromium)
    stage=$(staged_chromium "| .update_url = \"$base_url/updates.xml\"")
    chromium=$(command -v chromium || command -v google-chrome || true)
    [ -x /usr/lib/chromium/chromium ] && chromium=/usr/lib/chromium/chromium
    [ -n "$chromium" ] || die "chromium (or google-chrome) is needed to pack the CRX"
    tmp=$(mktemp -d)
    HOME="$tmp" TMPDIR="$tmp" timeout 60 "$chromium" --headless=new --no-sandbox --disable-gpu \
      --user-data-dir="$tmp/profile" --pack-extension="$stage" --pack-extension-key="$key" >"$tmp/log" 2>&1 || true
    [ -f "$stage.crx" ] || { cat "$tmp/log" >&2; cleanup_tmp "$tmp"; die "chromium did not pack $stage"; }
    cleanup_tmp "$tmp"
    mv -f "$stage.crx" "$out/vidkeep.crx"; chmod 644 "$out/vidkeep.crx"; rm -rf "$stage"
    cat >"$out/updates.xml" <<XML
<?xml version='1.0' encoding='UTF-8'?>
<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>
  <app appid='$id'>
    <updatecheck codebase='$base_url/vidkeep.crx' version='$ver' />
  </app>
</gupdate>
XML
    echo "$out/vidkeep.crx"
    echo "$out/updates.xml"
    echo "extension id: $id (ExtensionInstallForcelist entry: $id;$base_url/updates.xml)" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
