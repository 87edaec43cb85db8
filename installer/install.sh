#!/usr/bin/env bash
# vidkeep installer (README command 1).
#
# Builds vidkeep in Release, installs `vidkeep-host` and `vidkeep`, builds the
# extension, and registers the native messaging host `org.vidkeep.host` with
# every browser found, per user or system-wide. Every file it writes is listed
# in an install receipt; `--uninstall` removes exactly those (and restores any
# file it had to replace). Running it again repairs paths and modes.
#
# Run `installer/install.sh --help` for the options. Layout and browser paths:
# docs/admin.md; the manifest templates: manifests/.
set -euo pipefail
umask 022

readonly HOST_NAME=org.vidkeep.host
readonly DEV_CHROMIUM_ID=dcdfhfchgbigephadgggjnlglgfffpgb
readonly DEV_GECKO_ID=vidkeep@vidkeep.org
readonly RECEIPT_HEADER='# vidkeep install receipt v1'
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo

usage() {
  cat <<'EOF'
Usage: installer/install.sh [options]

Builds and installs vidkeep and registers its native messaging host with the
browsers found on this machine.

  --user                 install for the current user (default unless root)
  --system               install for every user (default for root)
  --browsers LIST|all    comma-separated browsers to register (default: those
                         found). Known: chrome chromium edge brave vivaldi opera
                         yandex firefox librewolf waterfox tor flatpak-chromium
                         flatpak-chrome flatpak-firefox
  --prefix DIR           where bin/ goes (default ~/.local for --user,
                         /usr/local for --system)
  --extension-id ID      also allow this extension: a Chromium id (32 letters
                         a-p, or chrome-extension://ID/) or a Firefox gecko id;
                         repeatable
  --crx-key FILE         also allow the self-hosted CRX signed with this key
                         (PEM, see packaging/extension.sh)
  --dev                  also allow the public development ids (the demo and
                         the tests only: any extension can claim them)
  --no-dev-id            refuse the public development ids even where a user's
                         config asks for them (an admin's lock, --system)
  --flatpak              register Flatpak browsers found (they need talk access
                         to org.freedesktop.Flatpak, which lets the browser run
                         any command outside its sandbox); a flatpak-* browser
                         named in --browsers counts as asked
  --binaries DIR         use vidkeep-host and vidkeep already built in DIR
                         (skips dependencies and the build)
  --skip-extension       do not build or install the extension (and make no
                         identity of its own for it)

By default the extension is built with an identity of this install's own: a
signing key (Chromium id) and a gecko id kept beside the install receipt; the
host manifests and config allow only those and --extension-id / --crx-key ids.
  --uninstall            remove exactly what the install receipt lists
  --purge                with --uninstall: also delete saved videos and logs
  --yes                  do not ask before --purge deletes data
  --dry-run              print every file it would write; change nothing
  --root DIR             install under a fake root (tests): system paths go
                         under DIR, the home is DIR/home, and manifests point
                         at the files under DIR
  --print-locations      print every manifest location known for this OS and
                         exit (browser, scope, directory)
  -h, --help             this help
EOF
}

say() { printf '%s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'install.sh: %s (see --help)\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------- options ---
scope=''
browsers_opt=''
prefix=''
ext_ids=()
crx_keys=()
no_dev_id=false
dev=false
flatpak=false
action=install
purge=false
yes=false
dry_run=false
root=''
binaries=''
skip_extension=false

while [ $# -gt 0 ]; do
  case "$1" in
    --user) scope=user ;;
    --system) scope=system ;;
    --browsers) [ $# -ge 2 ] || usage_error "--browsers needs a list"; browsers_opt=$2; shift ;;
    --browsers=*) browsers_opt=${1#*=} ;;
    --prefix) [ $# -ge 2 ] || usage_error "--prefix needs a directory"; prefix=$2; shift ;;
    --prefix=*) prefix=${1#*=} ;;
    --extension-id) [ $# -ge 2 ] || usage_error "--extension-id needs an id"; ext_ids+=("$2"); shift ;;
    --extension-id=*) ext_ids+=("${1#*=}") ;;
    --crx-key) [ $# -ge 2 ] || usage_error "--crx-key needs a file"; crx_keys+=("$2"); shift ;;
    --crx-key=*) crx_keys+=("${1#*=}") ;;
    --no-dev-id) no_dev_id=true ;;
    --dev) dev=true ;;
    --flatpak) flatpak=true ;;
    --binaries) [ $# -ge 2 ] || usage_error "--binaries needs a directory"; binaries=$2; shift ;;
    --binaries=*) binaries=${1#*=} ;;
    --skip-extension) skip_extension=true ;;
    --uninstall) action=uninstall ;;
    --purge) purge=true ;;
    --yes|-y) yes=true ;;
    --dry-run) dry_run=true ;;
    --root) [ $# -ge 2 ] || usage_error "--root needs a directory"; root=$2; shift ;;
    --root=*) root=${1#*=} ;;
    --print-locations) action=locations ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
  shift
done
if $purge && [ "$action" != uninstall ]; then usage_error "--purge goes with --uninstall"; fi
if $dev && $no_dev_id; then usage_error "--dev and --no-dev-id contradict each other"; fi

# ------------------------------------------------------------ environment ---
# Linux only: macOS and Windows are designs on paper until they are built and
# tested (docs/windows.md). The override exists to test this refusal.
os=${VIDKEEP_INSTALL_OS:-$(uname -s)}
[ "$os" = Linux ] || die "unsupported system '$os' (Linux only; macOS and Windows: docs/windows.md)"

if [ -n "$root" ]; then
  case "$root" in /*) ;; *) root="$PWD/$root" ;; esac
  root=${root%/}
  home="$root/home"
  config_home="$home/.config"
  data_home="$home/.local/share"
  state_home="$home/.local/state"
else
  home=${HOME:?HOME is not set}
  config_home=${XDG_CONFIG_HOME:-$home/.config}
  data_home=${XDG_DATA_HOME:-$home/.local/share}
  state_home=${XDG_STATE_HOME:-$home/.local/state}
fi
if [ -z "$scope" ]; then
  if [ "$(id -u)" -eq 0 ] && [ -z "$root" ]; then scope=system; else scope=user; fi
fi
if [ -z "$prefix" ]; then
  if [ "$scope" = user ]; then prefix="$home/.local"; else prefix="$root/usr/local"; fi
elif [ -n "$root" ]; then
  prefix="$root/${prefix#/}"
fi
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
prefix=${prefix%/}
bindir="$prefix/bin"
host_bin="$bindir/vidkeep-host"

if [ "$scope" = user ]; then
  receipt_dir="$data_home/vidkeep"
  config_file="$config_home/vidkeep/config.json"
else
  receipt_dir="$root/var/lib/vidkeep"
  config_file="$root/etc/vidkeep/config.json"
fi
receipt="$receipt_dir/install-receipt"
backup_dir="$receipt_dir/install-backups"

# ------------------------------------------------------ browser locations ---
# One line per manifest location: key|family|scope|directory. `vidkeep doctor`
# (host/doctor.cpp) knows the same table; tests/installer/run.sh compares them.
# Where each path comes from (browser source, vendor docs, or only other
# projects' usage): docs/admin.md, "Where the manifests go". Brave reads
# Chrome's system folder on Linux: brave-core app/brave_main_delegate.cc
# overrides DIR_NATIVE_MESSAGING.
locations() {
  local h=$home r=$root
  cat <<EOF
chrome|chromium|user|$h/.config/google-chrome/NativeMessagingHosts
chrome|chromium|system|$r/etc/opt/chrome/native-messaging-hosts
chromium|chromium|user|$h/.config/chromium/NativeMessagingHosts
chromium|chromium|system|$r/etc/chromium/native-messaging-hosts
edge|chromium|user|$h/.config/microsoft-edge/NativeMessagingHosts
edge|chromium|system|$r/etc/opt/edge/native-messaging-hosts
brave|chromium|user|$h/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts
brave|chromium|system|$r/etc/opt/chrome/native-messaging-hosts
vivaldi|chromium|user|$h/.config/vivaldi/NativeMessagingHosts
vivaldi|chromium|system|$r/etc/opt/vivaldi/native-messaging-hosts
opera|chromium|user|$h/.config/opera/NativeMessagingHosts
opera|chromium|system|$r/etc/opt/chrome/native-messaging-hosts
yandex|chromium|user|$h/.config/yandex-browser/NativeMessagingHosts
yandex|chromium|system|$r/etc/opt/yandex/browser/native-messaging-hosts
firefox|firefox|user|$h/.mozilla/native-messaging-hosts
firefox|firefox|system|$r/usr/lib/mozilla/native-messaging-hosts
librewolf|firefox|user|$h/.librewolf/native-messaging-hosts
librewolf|firefox|system|$r/usr/lib/librewolf/native-messaging-hosts
waterfox|firefox|user|$h/.waterfox/native-messaging-hosts
waterfox|firefox|system|$r/usr/lib/waterfox/native-messaging-hosts
flatpak-chromium|chromium|user|$h/.var/app/org.chromium.Chromium/config/chromium/NativeMessagingHosts
flatpak-chrome|chromium|user|$h/.var/app/com.google.Chrome/config/google-chrome/NativeMessagingHosts
flatpak-firefox|firefox|user|$h/.var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts
EOF
  # Tor Browser reads manifests inside each bundle (its HOME is Browser/).
  local bundle
  while IFS= read -r bundle; do
    [ -n "$bundle" ] && printf 'tor|firefox|user|%s\n' "$bundle/Browser/TorBrowser/Data/Browser/.mozilla/native-messaging-hosts"
  done < <(tor_bundles)
}

readonly known_browsers="chrome chromium edge brave vivaldi opera yandex firefox librewolf waterfox tor flatpak-chromium flatpak-chrome flatpak-firefox"

# Tor Browser bundles under the home: torbrowser-launcher's and unpacked ones.
tor_bundles() {
  local d
  for d in "$home"/.local/share/torbrowser/tbb/*/tor-browser* "$home"/tor-browser* \
           "$home"/Downloads/tor-browser* "$home"/Desktop/tor-browser*; do
    [ -d "$d/Browser/TorBrowser" ] && printf '%s\n' "$d"
  done
  return 0
}

flatpak_app() {
  case "$1" in
    flatpak-chromium) echo org.chromium.Chromium ;;
    flatpak-chrome) echo com.google.Chrome ;;
    flatpak-firefox) echo org.mozilla.firefox ;;
  esac
}

# Binaries that show a browser is installed (searched under the root).
browser_binaries() {
  case "$1" in
    chrome) echo "google-chrome google-chrome-stable /opt/google/chrome/chrome" ;;
    chromium) echo "chromium chromium-browser" ;;
    edge) echo "microsoft-edge microsoft-edge-stable /opt/microsoft/msedge/msedge" ;;
    brave) echo "brave-browser brave /opt/brave.com/brave/brave" ;;
    vivaldi) echo "vivaldi vivaldi-stable /opt/vivaldi/vivaldi" ;;
    opera) echo "opera /usr/lib/x86_64-linux-gnu/opera/opera" ;;
    yandex) echo "yandex-browser yandex-browser-stable /opt/yandex/browser/yandex-browser" ;;
    firefox) echo "firefox firefox-esr /snap/bin/firefox" ;;
    librewolf) echo "librewolf" ;;
    waterfox) echo "waterfox /opt/waterfox/waterfox" ;;
  esac
}

have_binary() {
  local name d
  for name in $(browser_binaries "$1"); do
    case "$name" in
      /*) [ -e "$root$name" ] && return 0 ;;
      *) for d in /usr/bin /usr/local/bin /bin /snap/bin; do [ -x "$root$d/$name" ] && return 0; done ;;
    esac
  done
  return 1
}

# Whether a browser is present for this scope: its binary, or (per user) its
# profile folder.
browser_found() {
  local key=$1 dir
  case "$key" in
    tor) [ "$scope" = user ] && [ -n "$(tor_bundles)" ]; return ;;
    flatpak-*)
      local app; app=$(flatpak_app "$key")
      [ "$scope" = user ] || return 1
      [ -d "$home/.var/app/$app" ] || [ -d "$data_home/flatpak/app/$app" ] || [ -d "$root/var/lib/flatpak/app/$app" ]
      return ;;
  esac
  have_binary "$key" && return 0
  if [ "$scope" = user ]; then
    dir=$(location_of "$key" user) || return 1
    [ -d "$(dirname "$dir")" ] && return 0
  fi
  return 1
}

# The manifest directory of a browser for a scope (first match).
location_of() {
  local key=$1 want=$2 k fam sc dir
  while IFS='|' read -r k fam sc dir; do
    if [ "$k" = "$key" ] && [ "$sc" = "$want" ]; then printf '%s\n' "$dir"; return 0; fi
  done < <(locations)
  return 1
}

family_of() {
  local key=$1 k fam sc dir
  while IFS='|' read -r k fam sc dir; do
    [ "$k" = "$key" ] && { echo "$fam"; return 0; }
  done < <(locations)
  case "$key" in tor) echo firefox; return 0 ;; esac
  return 1
}

# ------------------------------------------------------------------- ids ---
chromium_origins=()
gecko_ids=()
extra_callers=()  # what goes into allowed_callers: every non-development id

add_chromium_id() {
  local id=$1 o
  o="chrome-extension://$id/"
  for x in "${chromium_origins[@]+"${chromium_origins[@]}"}"; do [ "$x" = "$o" ] && return 0; done
  chromium_origins+=("$o")
  [ "$id" = "$DEV_CHROMIUM_ID" ] || extra_callers+=("$o")
}

add_gecko_id() {
  local id=$1
  for x in "${gecko_ids[@]+"${gecko_ids[@]}"}"; do [ "$x" = "$id" ] && return 0; done
  gecko_ids+=("$id")
  [ "$id" = "$DEV_GECKO_ID" ] || extra_callers+=("$id")
}

# The Chromium id of a CRX signing key: sha256 of the DER public key, first
# 32 hex digits mapped 0-f to a-p.
crx_id_of_key() {
  command -v openssl >/dev/null || die "--crx-key needs openssl"
  openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | head -c 32 | tr '0-9a-f' 'a-p'
}

# This install's own extension identity (issue 13): an RSA key whose public
# half is the built extension's Chromium `key` (so its id is ours alone) and a
# random gecko id, made once and kept beside the receipt so that running the
# installer again keeps the same ids.
own_key=''
own_gecko=''
own_identity() {
  $skip_extension && return 0
  own_key="$receipt_dir/extension-key.pem"
  local gecko_file="$receipt_dir/extension-gecko-id" tmp
  if $dry_run; then
    say "would make this install's extension key and gecko id in $receipt_dir (unless there)"
    own_key=''
    return 0
  fi
  command -v openssl >/dev/null || die "openssl is needed to give the extension its own id (or pass --skip-extension)"
  ensure_dir "$receipt_dir" 700
  tmp=$(mktemp "${TMPDIR:-/tmp}/vidkeep-key.XXXXXX")  # mode 600
  if [ -f "$own_key" ]; then
    cp "$own_key" "$tmp"
  else
    openssl genrsa 2048 >"$tmp" 2>/dev/null || { rm -f "$tmp"; die "openssl genrsa failed"; }
  fi
  write_file "$own_key" 600 <"$tmp"
  rm -f "$tmp"
  if [ -f "$gecko_file" ]; then
    own_gecko=$(cat "$gecko_file")
  else
    own_gecko="vidkeep-$(openssl rand -hex 8)@local"
  fi
  write_file "$gecko_file" 600 < <(printf '%s\n' "$own_gecko")
  own_gecko=$(head -n 1 "$gecko_file")
  add_chromium_id "$(crx_id_of_key "$own_key")"
  add_gecko_id "$own_gecko"
}

collect_ids() {
  if $dev; then add_chromium_id "$DEV_CHROMIUM_ID"; add_gecko_id "$DEV_GECKO_ID"; fi
  local id
  for id in "${ext_ids[@]+"${ext_ids[@]}"}"; do
    case "$id" in
      chrome-extension://*) id=${id#chrome-extension://}; id=${id%/}
        [[ "$id" =~ ^[a-p]{32}$ ]] || usage_error "bad Chromium extension id '$id'"
        add_chromium_id "$id" ;;
      *) if [[ "$id" =~ ^[a-p]{32}$ ]]; then add_chromium_id "$id"
         elif [[ "$id" =~ ^[A-Za-z0-9._+-]*@[A-Za-z0-9._-]+$ || "$id" =~ ^\{[0-9a-fA-F-]{36}\}$ ]]; then add_gecko_id "$id"
         else usage_error "'$id' is neither a Chromium id (32 letters a-p) nor a Firefox id (name@domain or {uuid})"; fi ;;
    esac
  done
  local key cid
  for key in "${crx_keys[@]+"${crx_keys[@]}"}"; do
    [ -r "$key" ] || die "cannot read CRX key '$key'"
    cid=$(crx_id_of_key "$key")
    [[ "$cid" =~ ^[a-p]{32}$ ]] || die "'$key' is not a private key openssl can read"
    say "CRX key $key: extension id $cid"
    add_chromium_id "$cid"
  done
}

json_list() {
  local out='[' sep='' item
  for item in "$@"; do out+="$sep\"$item\""; sep=', '; done
  printf '%s]' "$out"
}

render() {  # template, path, list
  sed -e "s|@VIDKEEP_HOST_PATH@|$2|" -e "s|@VIDKEEP_ALLOWED_ORIGINS@|$3|" \
      -e "s|@VIDKEEP_ALLOWED_EXTENSIONS@|$3|" "$repo/manifests/$1.json.in"
}

# --------------------------------------------------------------- receipt ---
# Receipt lines (tab-separated):
#   dir <path>             a directory this installer created
#   file <path>            a file this installer wrote
#   backup <path> <copy>   a file that was there before and was replaced;
#                          uninstall puts <copy> back
declare -A old_file=() old_backup=() new_file=() new_backup=()
old_dirs=()
new_dirs=()

read_receipt() {
  [ -f "$receipt" ] || return 0
  head -n 1 "$receipt" | grep -qx "$RECEIPT_HEADER" || die "$receipt is not a vidkeep install receipt"
  local kind path extra
  while IFS=$'\t' read -r kind path extra; do
    case "$kind" in
      dir) old_dirs+=("$path") ;;
      file) old_file[$path]=1 ;;
      backup) old_backup[$path]=$extra ;;
    esac
  done < <(tail -n +2 "$receipt")
}

# Creates the missing parents of a path, remembering each one.
ensure_dir() {
  local dir=$1 mode=${2:-755} missing=() d
  d=$dir
  while [ ! -d "$d" ]; do missing=("$d" "${missing[@]+"${missing[@]}"}"); d=$(dirname "$d"); done
  for d in "${missing[@]+"${missing[@]}"}"; do
    if $dry_run; then say "would create $d/"; else mkdir -m "$mode" "$d"; fi
    new_dirs+=("$d")
  done
}

# Writes content (stdin) to a path with a mode, only when it differs; a file
# that was there before and is not ours is kept as a backup first.
write_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp "${TMPDIR:-/tmp}/vidkeep-install.XXXXXX")
  cat >"$tmp"
  if $dry_run; then
    say "would write $path (mode $mode)"
    rm -f "$tmp"
    new_file[$path]=1
    return 0
  fi
  ensure_dir "$(dirname "$path")"
  if [ -e "$path" ] && [ -z "${old_file[$path]+x}" ] && [ -z "${old_backup[$path]+x}" ] \
     && [ -z "${new_backup[$path]+x}" ] && [ -z "${new_file[$path]+x}" ]; then
    local copy
    ensure_dir "$backup_dir" 700
    copy=$(mktemp "$backup_dir/backup.XXXXXX")
    cp -p "$path" "$copy"
    new_backup[$path]=$copy
    say "kept the previous $path as $copy (restored by --uninstall)"
  elif [ -n "${old_backup[$path]+x}" ]; then
    new_backup[$path]=${old_backup[$path]}
  fi
  if [ -z "${new_backup[$path]+x}" ]; then new_file[$path]=1; fi
  if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
  else
    # Write beside and rename: a running host keeps its old inode.
    local next="$path.vidkeep-new"
    cp "$tmp" "$next" && rm -f "$tmp"
    chmod "$mode" "$next"
    mv -f "$next" "$path"
  fi
  chmod "$mode" "$path"
}

save_receipt() {
  $dry_run && return 0
  ensure_dir "$receipt_dir" 700
  local tmp="$receipt.tmp" d p
  {
    printf '%s\n' "$RECEIPT_HEADER"
    for d in "${new_dirs[@]+"${new_dirs[@]}"}"; do printf 'dir\t%s\n' "$d"; done
    for p in "${!new_file[@]}"; do printf 'file\t%s\n' "$p"; done | sort
    for p in "${!new_backup[@]}"; do printf 'backup\t%s\t%s\n' "$p" "${new_backup[$p]}"; done | sort
    printf 'file\t%s\n' "$receipt"
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$receipt"
}

restore_backup() {  # path copy
  if [ -f "$2" ]; then
    mkdir -p "$(dirname "$1")"
    cp -p "$2" "$1" && rm -f "$2"
    say "restored $1"
  else
    warn "the saved copy of $1 ($2) is gone; leaving $1 as it is"
  fi
}

# Removes the directories we created, deepest first, when they are empty.
prune_dirs() {
  local i d
  for ((i = ${#new_dirs[@]} - 1; i >= 0; i--)); do
    d=${new_dirs[$i]}
    if [ -d "$d" ] && rmdir "$d" 2>/dev/null; then unset 'new_dirs[i]'; fi
  done
  new_dirs=("${new_dirs[@]+"${new_dirs[@]}"}")
}

# ---------------------------------------------------------------- config ---
# The host's config gets the same non-development ids as the manifests. A
# config this installer did not write is merged, not replaced (and the
# original comes back on --uninstall).
json_merge_config() {  # file, callers(json), no_dev_id(true|keep), dev_ids(true|keep)
  local file=$1 callers=$2 nodev=$3 devids=$4
  if command -v jq >/dev/null; then
    jq --argjson add "$callers" --arg nodev "$nodev" --arg devids "$devids" \
      '.allowed_callers = reduce $add[] as $x (.allowed_callers // [];
         if any(.[]; . == $x) then . else . + [$x] end)
       | if $nodev == "keep" then . else .no_dev_id = true end
       | if $devids == "keep" then . else .dev_ids = true end' "$file"
  elif command -v python3 >/dev/null; then
    python3 - "$file" "$callers" "$nodev" "$devids" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
have = doc.get("allowed_callers", [])
doc["allowed_callers"] = have + [c for c in json.loads(sys.argv[2]) if c not in have]
if sys.argv[3] != "keep":
    doc["no_dev_id"] = True
if sys.argv[4] != "keep":
    doc["dev_ids"] = True
print(json.dumps(doc, indent=2))
PY
  else
    die "$file exists and merging it needs jq or python3; add these ids to its allowed_callers by hand: $callers"
  fi
}

write_config() {
  local callers nodev devids
  callers=$(json_list "${extra_callers[@]+"${extra_callers[@]}"}")
  # A user's config overrides the system one key by key: write a key only
  # when there is something to say, so an admin's allowed_callers survive
  # (and the host keeps an admin's no_dev_id: true whatever a user's says).
  if [ "$scope" = user ] && [ ${#extra_callers[@]} -eq 0 ] && ! $no_dev_id && ! $dev; then
    return 0
  fi
  nodev=$($no_dev_id && echo true || echo false)
  devids=$($dev && echo true || echo false)
  if [ -f "$config_file" ] && [ -z "${old_file[$config_file]+x}" ]; then
    local merged
    $no_dev_id || nodev=keep
    $dev || devids=keep
    merged=$(json_merge_config "$config_file" "$callers" "$nodev" "$devids") || die "cannot read $config_file as JSON; fix it or move it away"
    write_file "$config_file" 644 < <(printf '%s\n' "$merged")
  else
    write_file "$config_file" 644 < <(sed -e "s|@VIDKEEP_ALLOWED_CALLERS@|$callers|" \
      -e "s|@VIDKEEP_NO_DEV_ID@|$nodev|" -e "s|@VIDKEEP_DEV_IDS@|$devids|" "$repo/manifests/config.json.in")
  fi
  say "config: $config_file (allowed_callers: $callers, dev_ids: $devids, no_dev_id: $nodev)"
  if $dev; then
    say "warning: --dev: the public development ids are trusted; any extension can claim them (for the demo and tests only)"
  fi
}

# --------------------------------------------------------------- flatpak ---
# A Flatpak browser cannot run host binaries directly: the manifest points at
# a wrapper inside the app's own folder that asks flatpak-spawn to start the
# host outside the sandbox, which needs talk access to org.freedesktop.Flatpak.
flatpak_register() {
  local key=$1 dir=$2 app wrapper override
  app=$(flatpak_app "$key")
  wrapper="$home/.var/app/$app/data/vidkeep/vidkeep-host"
  write_file "$wrapper" 755 < <(printf '#!/bin/sh\n# vidkeep: the Flatpak browser %s starts this; it runs the host outside the sandbox.\nexec flatpak-spawn --host %q "$@"\n' \
    "$app" "$host_bin")
  manifest_for "$key" "$dir" "$wrapper"
  override="$data_home/flatpak/overrides/$app"
  local content=''
  [ -f "$override" ] && content=$(cat "$override")
  if grep -qx 'org.freedesktop.Flatpak=talk' <<<"$content"; then
    # Ours from an earlier run: keep it on the receipt; someone else's: leave it.
    if [ -n "${old_file[$override]+x}" ] || [ -n "${old_backup[$override]+x}" ]; then
      write_file "$override" 644 < <(printf '%s\n' "$content")
    fi
    say "flatpak: $app may talk to org.freedesktop.Flatpak ($override)"
    return 0
  fi
  if command -v flatpak >/dev/null && [ -z "$root" ] && ! $dry_run; then
    # flatpak writes the override file itself; keep what was there first.
    if [ -f "$override" ] && [ -z "${old_file[$override]+x}" ] && [ -z "${old_backup[$override]+x}" ]; then
      ensure_dir "$backup_dir" 700
      new_backup[$override]=$(mktemp "$backup_dir/backup.XXXXXX")
      cp -p "$override" "${new_backup[$override]}"
    elif [ -n "${old_backup[$override]+x}" ]; then
      new_backup[$override]=${old_backup[$override]}
    else
      new_file[$override]=1
    fi
    ensure_dir "$(dirname "$override")"
    flatpak override --user --talk-name=org.freedesktop.Flatpak "$app"
    say "ran: flatpak override --user --talk-name=org.freedesktop.Flatpak $app"
    say "flatpak: $app may now run any command outside its sandbox (that is how it starts vidkeep-host); --uninstall takes it back"
  else
    if grep -q '^\[Session Bus Policy\]' <<<"$content"; then
      content=$(sed '/^\[Session Bus Policy\]/a org.freedesktop.Flatpak=talk' <<<"$content")
    else
      content="${content:+$content$'\n\n'}[Session Bus Policy]"$'\n'"org.freedesktop.Flatpak=talk"
    fi
    write_file "$override" 644 < <(printf '%s\n' "$content")
    say "flatpak: wrote $override (same as: flatpak override --user --talk-name=org.freedesktop.Flatpak $app)"
    say "flatpak: $app may now run any command outside its sandbox (that is how it starts vidkeep-host); --uninstall takes it back"
  fi
}

# ------------------------------------------------------------- manifests ---
registered=()

manifest_for() {  # key dir host-path
  local key=$1 dir=$2 path=$3 fam list
  fam=$(family_of "$key")
  if [ "$fam" = chromium ]; then
    [ ${#chromium_origins[@]} -gt 0 ] || { warn "$key: no Chromium extension id to allow (--no-dev-id without --extension-id); skipped"; return 0; }
    list=$(json_list "${chromium_origins[@]}")
  else
    [ ${#gecko_ids[@]} -gt 0 ] || { warn "$key: no Firefox extension id to allow (--no-dev-id without a gecko --extension-id); skipped"; return 0; }
    list=$(json_list "${gecko_ids[@]}")
  fi
  write_file "$dir/$HOST_NAME.json" 644 < <(render "$fam" "$path" "$list")
  registered+=("$key: $dir/$HOST_NAME.json")
}

register_browser() {
  local key=$1 k fam sc dir n=0
  while IFS='|' read -r k fam sc dir; do
    if [ "$k" != "$key" ] || [ "$sc" != "$scope" ]; then continue; fi
    n=$((n + 1))
    case "$key" in
      flatpak-*) flatpak_register "$key" "$dir" ;;
      *) manifest_for "$key" "$dir" "$host_bin" ;;
    esac
  done < <(locations)
  if [ $n -eq 0 ]; then
    case "$key" in
      flatpak-*) say "$key: a Flatpak browser reads manifests in each user's home only: run install.sh --user as that user" ;;
      tor) say "tor: Tor Browser reads manifests inside each bundle: run install.sh --user as the bundle's owner" ;;
      *) say "$key: no $scope location on $os; skipped" ;;
    esac
  fi
}

snap_notes() {
  if [ -e "$root/snap/firefox" ] || [ -e "$root/snap/bin/firefox" ]; then
    cat <<'EOF'
Snap Firefox found. Its sandbox starts native hosts only through the
WebExtensions portal (Firefox 106+, xdg-desktop-portal 1.17+): the host is
registered in ~/.mozilla/native-messaging-hosts as for any Firefox; the first
time the extension connects, allow "vidkeep" in the permission prompt
(`flatpak permission-show webextensions` lists the answer; `snap connections
firefox` must show the desktop portal interfaces connected).
EOF
  fi
  if [ -e "$root/snap/chromium" ]; then
    say "Snap Chromium found: its confinement does not let it start programs outside the snap, so vidkeep cannot work with it; use the Debian/Flatpak Chromium or Chrome."
  fi
}

flatpak_skipped() {
  say "$1: found, not registered: a Flatpak browser can start vidkeep-host only with talk access to org.freedesktop.Flatpak, which lets it run any command outside its sandbox; to accept that, run again with --flatpak (or --browsers $1)" >&2
}

select_browsers() {
  local list=() key
  # A Flatpak browser starts the host by lifting its own sandbox
  # (talk-name=org.freedesktop.Flatpak): only when asked, by --flatpak or by
  # naming it in --browsers.
  if [ -z "$browsers_opt" ]; then
    for key in $known_browsers; do
      browser_found "$key" || continue
      case "$key" in flatpak-*) if ! $flatpak; then flatpak_skipped "$key"; continue; fi ;; esac
      list+=("$key")
    done
  elif [ "$browsers_opt" = all ]; then
    for key in $known_browsers; do
      [ "$key" = tor ] && [ -z "$(tor_bundles)" ] && continue
      case "$key" in flatpak-*) $flatpak || continue ;; esac
      list+=("$key")
    done
  else
    IFS=',' read -r -a list <<<"$browsers_opt"
    for key in "${list[@]}"; do
      case " $known_browsers " in *" $key "*) ;; *) usage_error "unknown browser '$key' (known: $known_browsers)" ;; esac
    done
  fi
  # Nothing at all when no browser is found: one empty line would read as a
  # browser with an empty name.
  [ ${#list[@]} -eq 0 ] || printf '%s\n' "${list[@]}"
}

# ------------------------------------------------------------ build steps ---
# Run as root (--system) in a checkout that belongs to someone else, the build
# and npm (whose package scripts run code from the checkout) run as the
# checkout's owner, never as root; said once.
as_owner() {
  local owner uid
  uid=$(stat -c %u "$repo" 2>/dev/null || stat -f %u "$repo")
  if [ "$(id -u)" -ne 0 ] || [ "$uid" -eq 0 ]; then "$@"; return; fi
  owner=$(id -nu "$uid" 2>/dev/null) || die "the checkout $repo belongs to uid $uid, which has no user name: build it as that user first (or use --binaries)"
  if [ -z "${said_owner:-}" ]; then
    # stderr: the first call's stdout may be silenced (cmake's configure step).
    say "building as $owner, the owner of $repo (not as root)" >&2
    said_owner=1
  fi
  local owner_home
  owner_home=$(getent passwd "$owner" | cut -d: -f6)
  if command -v runuser >/dev/null; then
    runuser -u "$owner" -- env HOME="${owner_home:-/nonexistent}" "$@"
  elif command -v sudo >/dev/null; then
    sudo -u "$owner" -H -- "$@"
  else
    die "cannot drop root to $owner for the build (no runuser or sudo): build as $owner, then run install.sh --system --binaries DIR"
  fi
}

build_binaries() {
  if [ -n "$binaries" ]; then
    if [ ! -x "$binaries/vidkeep-host" ] || [ ! -x "$binaries/vidkeep" ]; then die "no vidkeep-host and vidkeep in $binaries"; fi
    built_dir=$(cd "$binaries" && pwd)
    return 0
  fi
  built_dir="$repo/build-release/bin"
  if $dry_run; then say "would build Release in $repo/build-release"; return 0; fi
  if ! "$repo/installer/deps.sh" build; then
    if ! command -v apt-get >/dev/null; then
      say "Other distributions: install CMake ≥ 3.25, Ninja, a C++20 compiler, Boost ≥ 1.81 (url), SQLiteCpp, nlohmann-json, spdlog, CLI11, Catch2 2, OpenSSL"
      say "  Fedora: dnf install cmake ninja-build gcc-c++ boost-devel sqlitecpp-devel json-devel spdlog-devel cli11-devel catch2-devel openssl-devel"
      say "  Arch:   pacman -S cmake ninja gcc boost sqlitecpp nlohmann-json spdlog cli11 catch2 openssl"
    fi
    die "install the packages above, then run this again"
  fi
  say "building vidkeep (Release) in build-release/ ..."
  local gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  as_owner cmake -S "$repo" -B "$repo/build-release" "${gen[@]+"${gen[@]}"}" -DCMAKE_BUILD_TYPE=Release -DVIDKEEP_TESTS=OFF >/dev/null
  as_owner cmake --build "$repo/build-release" --target vidkeep-host vidkeep
}

install_binaries() {
  local b
  for b in vidkeep-host vidkeep; do
    if $dry_run; then say "would write $bindir/$b (mode 755)"; new_file[$bindir/$b]=1; continue; fi
    write_file "$bindir/$b" 755 <"$built_dir/$b"
  done
}

build_extension() {
  $skip_extension && return 0
  local ext="$repo/extension"
  if [ ! -f "$ext/package.json" ]; then
    say "extension: not in this checkout yet; the host is registered anyway (load the extension later)"
    return 0
  fi
  if $dry_run; then say "would build the extension (npm ci && npm run build) with this install's identity and install it"; return 0; fi
  # Built with this install's own key and gecko id (own_identity), into a
  # folder of its own: extension/dist stays the development build.
  local dist="$ext/dist"
  if [ -n "$own_key" ]; then
    dist="$repo/build-release/extension"
    local pub
    pub=$(openssl pkey -in "$own_key" -pubout -outform DER 2>/dev/null | base64 -w0) || die "cannot read $own_key"
    if command -v npm >/dev/null; then
      say "building the extension (own id $(crx_id_of_key "$own_key"), $own_gecko) ..."
      as_owner mkdir -p "$dist"
      if ! (cd "$ext" && as_owner npm ci --no-audit --no-fund >/dev/null &&
            as_owner env VIDKEEP_EXTENSION_KEY="$pub" VIDKEEP_GECKO_ID="$own_gecko" VIDKEEP_DIST_DIR="$dist" npm run build >/dev/null); then
        warn "the extension did not build (see 'cd extension && npm run build'); the host is registered anyway"
      fi
    else
      warn "npm is missing: cannot build the extension (Node.js 20 and npm are needed)"
    fi
  fi
  local flavor f rel
  for flavor in chromium firefox; do
    [ -f "$dist/$flavor/manifest.json" ] || { say "extension: no $dist/$flavor yet (run this installer again once npm works)"; continue; }
    while IFS= read -r -d '' f; do
      rel=${f#"$dist/$flavor/"}
      write_file "$prefix/share/vidkeep/extension/$flavor/$rel" 644 <"$f"
    done < <(find "$dist/$flavor" -type f -print0)
    say "extension ($flavor): $prefix/share/vidkeep/extension/$flavor"
  done
}

# ----------------------------------------------------------------- steps ---
do_install() {
  read_receipt
  collect_ids
  own_identity
  local sel=() key
  mapfile -t sel < <(select_browsers)
  build_binaries
  local d
  for d in "${old_dirs[@]+"${old_dirs[@]}"}"; do [ -d "$d" ] && new_dirs+=("$d"); done

  say "installing vidkeep ($scope) into $prefix"
  install_binaries
  build_extension
  write_config
  if [ ${#sel[@]} -eq 0 ]; then
    say "no browser found; register anyway with --browsers all (or a list)"
  fi
  for key in "${sel[@]+"${sel[@]}"}"; do register_browser "$key"; done
  snap_notes

  # What the previous install wrote and this one did not: remove or restore.
  local p
  for p in "${!old_file[@]}"; do
    [ "$p" = "$receipt" ] && continue
    if [ -z "${new_file[$p]+x}" ] && [ -z "${new_backup[$p]+x}" ]; then
      if $dry_run; then say "would remove $p"; else rm -f "$p" && say "removed stale $p"; fi
    fi
  done
  for p in "${!old_backup[@]}"; do
    if [ -z "${new_backup[$p]+x}" ] && [ -z "${new_file[$p]+x}" ]; then
      if $dry_run; then say "would restore $p"; else restore_backup "$p" "${old_backup[$p]}"; fi
    fi
  done
  if ! $dry_run; then
    prune_dirs
    save_receipt
  else
    say "would write $receipt (mode 600)"
  fi

  say ""
  for p in "${registered[@]+"${registered[@]}"}"; do say "registered $p"; done
  say "allowed extensions: ${chromium_origins[*]:-} ${gecko_ids[*]:-}"
  $dry_run && { say "(dry run: nothing was changed)"; return 0; }
  say "receipt: $receipt (undo with: installer/install.sh --$scope --uninstall${root:+ --root $root})"
  case ":$PATH:" in *":$bindir:"*) ;; *) [ -z "$root" ] && say "note: $bindir is not on your PATH" ;; esac
  say "check the installation with: $bindir/vidkeep doctor${root:+ --root $root}"
}

confirm_purge() {
  $yes && return 0
  if [ -t 0 ]; then
    local answer
    read -r -p "Delete every saved video and log of vidkeep ($1)? [y/N] " answer
    case "$answer" in y|Y|yes|YES) return 0 ;; esac
    die "not purging (nothing was changed)"
  fi
  die "--purge deletes every saved video: confirm with --yes (nothing was changed)"
}

do_uninstall() {
  local purge_dirs=()
  if $purge; then
    if [ "$scope" = user ]; then
      purge_dirs=("$data_home/vidkeep" "$state_home/vidkeep")
    else
      purge_dirs=("$root/var/lib/vidkeep" "$root/var/log/vidkeep")
    fi
    confirm_purge "${purge_dirs[*]}"
  fi
  if [ ! -f "$receipt" ]; then
    say "no install receipt at $receipt: nothing of vidkeep's to remove for --$scope"
  else
    read_receipt
    local p
    for p in "${!old_file[@]}"; do
      [ "$p" = "$receipt" ] && continue
      if $dry_run; then say "would remove $p"; elif [ -e "$p" ] || [ -L "$p" ]; then rm -f "$p"; say "removed $p"; fi
    done
    for p in "${!old_backup[@]}"; do
      if $dry_run; then say "would restore $p"; else restore_backup "$p" "${old_backup[$p]}"; fi
    done
    if ! $dry_run; then
      rm -f "$receipt"
      new_dirs=("${old_dirs[@]+"${old_dirs[@]}"}")
      prune_dirs
    fi
  fi
  local d
  for d in "${purge_dirs[@]+"${purge_dirs[@]}"}"; do
    [ -e "$d" ] || continue
    if $dry_run; then say "would delete $d"; else rm -rf "$d"; say "deleted $d"; fi
  done
  if $purge && [ "$scope" = system ]; then
    say "each user's own videos stay in their ~/.local/share/vidkeep: they run install.sh --user --uninstall --purge"
  fi
  $dry_run && say "(dry run: nothing was changed)"
  return 0
}

case "$action" in
  locations) locations | sed 's/|/\t/g' | cut -f1,3,4 ;;
  install) do_install ;;
  uninstall) do_uninstall ;;
esac
