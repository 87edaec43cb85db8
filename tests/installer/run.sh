#!/usr/bin/env bash
# The doctor cases pass shell snippets in single quotes on purpose (SC2016),
# and `cond && cond || { report; return 1; }` is the checks' idiom (SC2015).
# shellcheck disable=SC2016,SC2015
# The installer tier (issue 5): install.sh with --root for every browser and
# scope, vidkeep doctor on good and broken installs, the CPack .deb, real
# Chromium and Firefox reaching the host the installer registered, and a
# force-installed self-hosted CRX. Prints "N passed, M failed" last; exits 1
# when anything failed.
#
#   tests/installer/run.sh                 everything
#   VIDKEEP_BUILD_DIR=DIR                  binaries from DIR/bin (default build/)
#   VIDKEEP_INSTALLER_SKIP=deb,browsers,crx   leave those parts out
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
build=${VIDKEEP_BUILD_DIR:-$repo/build}
bin=$build/bin
skip=",${VIDKEEP_INSTALLER_SKIP:-},"
readonly DEV_ORIGIN=chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/
readonly DEV_GECKO=vidkeep@vidkeep.org
readonly EXTRA_ID=abcdefghijklmnopabcdefghijklmnop
readonly EXTRA_GECKO=fleet@example.org

work=$(mktemp -d "${TMPDIR:-/tmp}/vidkeep-installer-test.XXXXXX")
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
pass=0
fail=0
pids=()
cleanups=()

cleanup() {
  local pid c
  for pid in "${pids[@]+"${pids[@]}"}"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for c in "${cleanups[@]+"${cleanups[@]}"}"; do eval "$c"; done
  # Anything still running from our temp folder was started by this script.
  for pid in $(leftovers); do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$work"
}
# PIDs of processes whose command line names our temp folder.
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$work/" && echo "${p#/proc/}"
  done
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$1"; }
not_ok() {
  fail=$((fail + 1))
  printf 'FAIL  %s\n' "$1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 40 | sed 's/^/      /'
  return 0
}
# check NAME CMD...: passes when CMD exits 0; shows its output when not.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
skipped() { case "$skip" in *",$1,"*) printf 'skip  %s (VIDKEEP_INSTALLER_SKIP)\n' "$1"; return 0 ;; esac; return 1; }

listing() { (cd "$1" && find . -printf '%M %u %p %s\n' | LC_ALL=C sort -k3); }
# The tier's fixture extension carries the public development ids: --dev.
inst() { "$repo/installer/install.sh" --binaries "$bin" --skip-extension --dev "$@"; }

if [ ! -x "$bin/vidkeep-host" ] || [ ! -x "$bin/vidkeep" ]; then
  not_ok "binaries in $bin (build first: cmake -S . -B build -G Ninja && cmake --build build)"
  printf '%d passed, %d failed\n' "$pass" "$fail"
  exit 1
fi

# ------------------------------------------------------- the machine's own ---
# Issue 13: no test installs into or removes from this machine. Every file of
# a system-wide vidkeep (README command 1, or the .deb) and vidkeep's dpkg
# record are listed (mode, owner, size, mtime) and hashed now and compared at
# the end: the tier passes beside a system install and leaves it byte for byte.
system_vidkeep_state() {
  local f
  {
    for f in /etc/vidkeep /usr/bin/vidkeep /usr/bin/vidkeep-host /usr/local/bin/vidkeep /usr/local/bin/vidkeep-host \
             /usr/local/share/vidkeep /var/lib/vidkeep /var/log/vidkeep \
             /etc/opt/chrome/native-messaging-hosts /etc/chromium/native-messaging-hosts /etc/opt/edge/native-messaging-hosts \
             /etc/opt/vivaldi/native-messaging-hosts /etc/opt/yandex/browser/native-messaging-hosts \
             /usr/lib/mozilla/native-messaging-hosts /usr/lib/librewolf/native-messaging-hosts /usr/lib/waterfox/native-messaging-hosts; do
      [ -e "$f" ] || [ -L "$f" ] || continue
      find "$f" -printf '%M %u %g %s %T@ %p\n'
      find "$f" -type f -exec sha256sum {} +
    done
    find /var/lib/dpkg/info -maxdepth 1 -name 'vidkeep.*' -printf '%M %s %T@ %p\n' 2>/dev/null
    dpkg-query -s vidkeep 2>/dev/null
  } | LC_ALL=C sort
}
system_before=$(system_vidkeep_state)

# ------------------------------------------------------------ shellcheck ---
scripts=(installer/*.sh tests/installer/*.sh)
for f in packaging/*.sh tests/installer/fixtures/*.sh; do [ -f "$f" ] && scripts+=("$f"); done
if command -v shellcheck >/dev/null; then
  check "shellcheck ${scripts[*]}" shellcheck -x "${scripts[@]}"
else
  not_ok "shellcheck is not installed (installer/deps.sh test installs it)"
fi

# -------------------------------------------------------------- locations ---
check "install.sh and vidkeep doctor know the same manifest locations" \
  diff <("$repo/installer/install.sh" --print-locations --root /R) <("$bin/vidkeep" doctor --locations --root /R)

# expect_manifest FILE FAMILY HOSTPATH IDS...: content and mode of one manifest.
expect_manifest() {
  local file=$1 family=$2 path=$3 key want got
  shift 3
  [ -f "$file" ] || { echo "missing $file"; return 1; }
  [ "$(stat -c %a "$file")" = 644 ] || { echo "$file mode $(stat -c %a "$file")"; return 1; }
  key=allowed_extensions
  [ "$family" = chromium ] && key=allowed_origins
  want=$(jq -cn --arg p "$path" --arg k "$key" '$ARGS.positional as $ids |
    {name: "org.vidkeep.host", path: $p, type: "stdio"} + {($k): $ids}' --args "$@")
  got=$(jq -c '{name, path, type} + (if has("allowed_origins") then {allowed_origins} else {allowed_extensions} end)' "$file") \
    || { echo "$file is not JSON"; return 1; }
  [ "$want" = "$got" ] || { printf 'want %s\ngot  %s\n' "$want" "$got"; return 1; }
}

# install_roundtrip BROWSER SCOPE: install into a fresh fake root, check every
# file, uninstall, compare the trees.
install_roundtrip() {
  local browser=$1 scope=$2 r="$work/rt-$1-$2" before after prefix family loc host files=0
  mkdir -p "$r/home"
  [ "$browser" = tor ] && mkdir -p "$r/home/tor-browser/Browser/TorBrowser"
  before=$(listing "$r")
  inst --root "$r" "--$scope" --browsers "$browser" --extension-id "$EXTRA_ID" --extension-id "$EXTRA_GECKO" >/dev/null || { echo "install failed"; return 1; }
  if [ "$scope" = user ]; then prefix="$r/home/.local"; else prefix="$r/usr/local"; fi
  for b in vidkeep-host vidkeep; do
    cmp -s "$bin/$b" "$prefix/bin/$b" || { echo "$prefix/bin/$b differs from $bin/$b"; return 1; }
    [ "$(stat -c %a "$prefix/bin/$b")" = 755 ] || { echo "$prefix/bin/$b not 755"; return 1; }
  done
  while IFS=$'\t' read -r key sc dir; do
    if [ "$key" != "$browser" ] || [ "$sc" != "$scope" ]; then continue; fi
    files=$((files + 1))
    case "$browser" in
      chrome|chromium|edge|brave|vivaldi|opera|yandex|flatpak-chromium|flatpak-chrome) family=chromium ;;
      *) family=firefox ;;
    esac
    host="$prefix/bin/vidkeep-host"
    case "$browser" in
      flatpak-*)
        loc=${dir%%/config/*}; loc=${loc%%/.mozilla/*}
        host="$loc/data/vidkeep/vidkeep-host"
        [ "$(stat -c %a "$host")" = 755 ] || { echo "wrapper $host not 755"; return 1; }
        grep -q "flatpak-spawn --host $prefix/bin/vidkeep-host" "$host" || { echo "wrapper does not start the host"; cat "$host"; return 1; }
        grep -qx 'org.freedesktop.Flatpak=talk' "$r/home/.local/share/flatpak/overrides/${loc##*/}" || { echo "no flatpak override"; return 1; } ;;
    esac
    if [ "$family" = chromium ]; then
      expect_manifest "$dir/org.vidkeep.host.json" chromium "$host" "$DEV_ORIGIN" "chrome-extension://$EXTRA_ID/" || return 1
    else
      expect_manifest "$dir/org.vidkeep.host.json" firefox "$host" "$DEV_GECKO" "$EXTRA_GECKO" || return 1
    fi
  done < <("$repo/installer/install.sh" --print-locations --root "$r")
  [ $files -gt 0 ] || { echo "no $scope location for $browser"; return 1; }
  local config="$r/etc/vidkeep/config.json" receipt="$r/var/lib/vidkeep/install-receipt"
  [ "$scope" = user ] && { config="$r/home/.config/vidkeep/config.json"; receipt="$r/home/.local/share/vidkeep/install-receipt"; }
  [ "$(jq -c . "$config")" = "{\"allowed_callers\":[\"chrome-extension://$EXTRA_ID/\",\"$EXTRA_GECKO\"],\"dev_ids\":true,\"no_dev_id\":false}" ] \
    || { echo "config: $(cat "$config")"; return 1; }
  [ "$(stat -c %a "$receipt")" = 600 ] || { echo "receipt mode"; return 1; }
  inst --root "$r" "--$scope" --uninstall >/dev/null || { echo "uninstall failed"; return 1; }
  after=$(listing "$r")
  [ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
}

for browser in chrome chromium edge brave vivaldi opera yandex firefox librewolf waterfox tor flatpak-chromium flatpak-chrome flatpak-firefox; do
  scopes="user system"
  case "$browser" in tor|flatpak-*) scopes=user ;; esac
  for scope in $scopes; do
    check "install/uninstall --$scope --browsers $browser: files, content, modes; tree restored" install_roundtrip "$browser" "$scope"
  done
done

# ------------------------------------------------------- install behaviour ---
idempotent() {
  local r="$work/idem" a b
  mkdir -p "$r/home"
  inst --root "$r" --user --browsers all >/dev/null || return 1
  a=$(listing "$r"); inst --root "$r" --user --browsers all >/dev/null || return 1; b=$(listing "$r")
  [ "$a" = "$b" ] || { echo "second run changed:"; diff <(echo "$a") <(echo "$b"); return 1; }
  # Repairs: a broken mode, a deleted binary, an edited manifest.
  local m="$r/home/.config/chromium/NativeMessagingHosts/org.vidkeep.host.json"
  chmod 600 "$m"; echo '{}' >"$r/home/.mozilla/native-messaging-hosts/org.vidkeep.host.json"; rm "$r/home/.local/bin/vidkeep-host"
  inst --root "$r" --user --browsers all >/dev/null || return 1
  b=$(listing "$r"); [ "$a" = "$b" ] || { echo "not repaired:"; diff <(echo "$a") <(echo "$b"); return 1; }
  # A new prefix: the manifests follow, the old binaries go.
  inst --root "$r" --user --browsers all --prefix /opt/vk >/dev/null || return 1
  [ ! -e "$r/home/.local/bin/vidkeep-host" ] || { echo "old binary left"; return 1; }
  jq -e --arg p "$r/opt/vk/bin/vidkeep-host" '.path == $p' "$m" >/dev/null || { echo "manifest path not updated"; return 1; }
  inst --root "$r" --user --uninstall >/dev/null || return 1
  [ "$(listing "$r")" = "$(cd "$r" && find . -maxdepth 1 -printf '%M %u %p %s\n' | LC_ALL=C sort -k3)" ] || { listing "$r"; return 1; }
}
check "install twice: same tree; repairs modes, binaries, manifests; --prefix change removes the old files" idempotent

foreign_files() {
  local r="$work/foreign" before after
  mkdir -p "$r/home/.config/chromium/NativeMessagingHosts" "$r/home/.config/vidkeep"
  echo '{"name":"org.vidkeep.host","path":"/old/host"}' >"$r/home/.config/chromium/NativeMessagingHosts/org.vidkeep.host.json"
  echo '{"log": {"level": "debug"}, "allowed_callers": ["other@x.org"]}' >"$r/home/.config/vidkeep/config.json"
  before=$(listing "$r"); local cfg_before; cfg_before=$(cat "$r/home/.config/vidkeep/config.json")
  inst --root "$r" --user --browsers chromium --extension-id "$EXTRA_ID" >/dev/null || return 1
  jq -e --arg id "chrome-extension://$EXTRA_ID/" '.log.level == "debug" and .allowed_callers == ["other@x.org", $id]' \
    "$r/home/.config/vidkeep/config.json" >/dev/null || { echo "config not merged: $(cat "$r/home/.config/vidkeep/config.json")"; return 1; }
  inst --root "$r" --user --browsers chromium --extension-id "$EXTRA_ID" >/dev/null || return 1
  inst --root "$r" --user --uninstall >/dev/null || return 1
  after=$(listing "$r")
  [ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
  [ "$(cat "$r/home/.config/vidkeep/config.json")" = "$cfg_before" ] || { echo "config not restored"; return 1; }
  grep -q /old/host "$r/home/.config/chromium/NativeMessagingHosts/org.vidkeep.host.json" || { echo "manifest not restored"; return 1; }
}
check "files that were there before are merged/replaced, and restored by --uninstall" foreign_files

dry_run() {
  local r="$work/dry" before out
  mkdir -p "$r/home"
  before=$(listing "$r")
  out=$(inst --root "$r" --system --browsers all --dry-run) || return 1
  [ "$before" = "$(listing "$r")" ] || { echo "dry run changed the tree"; return 1; }
  for f in "$r/usr/local/bin/vidkeep-host" "$r/etc/chromium/native-messaging-hosts/org.vidkeep.host.json" \
           "$r/usr/lib/mozilla/native-messaging-hosts/org.vidkeep.host.json" "$r/etc/vidkeep/config.json"; do
    grep -qF "would write $f" <<<"$out" || { echo "not announced: $f"; echo "$out"; return 1; }
  done
  # macOS is on paper only (docs/windows.md): refused before anything is written.
  local rc=0
  out=$(VIDKEEP_INSTALL_OS=Darwin inst --root "$r" --user --browsers all --dry-run 2>&1) || rc=$?
  [ $rc -ne 0 ] && grep -qF "unsupported system 'Darwin' (Linux only" <<<"$out" || { echo "exit $rc: $out"; return 1; }
  [ "$before" = "$(listing "$r")" ] || { echo "the refused run changed the tree"; return 1; }
}
check "--dry-run prints every file and changes nothing; another OS is refused" dry_run

no_dev_id() {
  local r="$work/nodev"
  mkdir -p "$r/home"
  "$repo/installer/install.sh" --binaries "$bin" --skip-extension --root "$r" --user --browsers chromium,firefox --no-dev-id --extension-id "$EXTRA_ID" --extension-id "$EXTRA_GECKO" >/dev/null || return 1
  expect_manifest "$r/home/.config/chromium/NativeMessagingHosts/org.vidkeep.host.json" chromium "$r/home/.local/bin/vidkeep-host" "chrome-extension://$EXTRA_ID/" || return 1
  expect_manifest "$r/home/.mozilla/native-messaging-hosts/org.vidkeep.host.json" firefox "$r/home/.local/bin/vidkeep-host" "$EXTRA_GECKO" || return 1
  jq -e '.no_dev_id == true' "$r/home/.config/vidkeep/config.json" >/dev/null || return 1
  "$bin/vidkeep" doctor --root "$r" || return 1
}
check "--no-dev-id with --extension-id: only those ids, in manifests and config; doctor agrees" no_dev_id

# Issue 13, finding 1: a default install (no --dev) trusts only the identity
# it made for this install and built the extension with.
own_identity() {
  local r="$work/own" out cid gecko built
  mkdir -p "$r/home"
  out=$("$repo/installer/install.sh" --binaries "$bin" --root "$r" --user --browsers chromium,firefox 2>&1) || { echo "$out"; return 1; }
  cid=$(jq -r '.allowed_origins[]' "$r/home/.config/chromium/NativeMessagingHosts/org.vidkeep.host.json")
  gecko=$(jq -r '.allowed_extensions[]' "$r/home/.mozilla/native-messaging-hosts/org.vidkeep.host.json")
  [[ "$cid" =~ ^chrome-extension://[a-p]{32}/$ ]] && [ "$cid" != "$DEV_ORIGIN" ] || { echo "chromium manifest allows: $cid"; return 1; }
  [[ "$gecko" =~ ^vidkeep-[0-9a-f]{16}@local$ ]] || { echo "firefox manifest allows: $gecko"; return 1; }
  jq -e --arg c "$cid" --arg g "$gecko" '.allowed_callers == [$c, $g] and .dev_ids == false' "$r/home/.config/vidkeep/config.json" >/dev/null \
    || { echo "config: $(cat "$r/home/.config/vidkeep/config.json")"; return 1; }
  built=$(jq -r .key "$r/home/.local/share/vidkeep/extension/chromium/manifest.json" | base64 -d | sha256sum | head -c 32 | tr '0-9a-f' 'a-p')
  [ "chrome-extension://$built/" = "$cid" ] || { echo "the built extension's key gives $built, the manifest allows $cid"; return 1; }
  jq -e --arg g "$gecko" '.browser_specific_settings.gecko.id == $g' "$r/home/.local/share/vidkeep/extension/firefox/manifest.json" >/dev/null || { echo "built gecko id"; return 1; }
  out=$("$bin/vidkeep" doctor --root "$r" 2>&1) || { echo "$out"; return 1; }
  ! grep -q 'WARN' <<<"$out" && ! grep -qF "hello as $DEV_ORIGIN" <<<"$out" || { echo "$out"; return 1; }
  # The host itself refuses the public ids.
  out=$(printf '\x1d\x00\x00\x00{"id":"h","type":"hello"}     ' | HOME="$r/home" VIDKEEP_SYSTEM_CONFIG="$r/etc/vidkeep/config.json" \
        XDG_CONFIG_HOME='' XDG_DATA_HOME='' XDG_STATE_HOME='' VIDKEEP_HOME='' timeout 10 "$r/home/.local/bin/vidkeep-host" "$DEV_ORIGIN" | tail -c +5)
  grep -q '"unauthorized"' <<<"$out" || { echo "dev id answer: $out"; return 1; }
  # A second run keeps the same identity.
  "$repo/installer/install.sh" --binaries "$bin" --root "$r" --user --browsers chromium,firefox >/dev/null 2>&1 || return 1
  [ "$(jq -r '.allowed_origins[]' "$r/home/.config/chromium/NativeMessagingHosts/org.vidkeep.host.json")" = "$cid" ] || { echo "id changed on a second run"; return 1; }
  "$repo/installer/install.sh" --root "$r" --user --uninstall >/dev/null || return 1
  [ ! -e "$r/home/.local/share/vidkeep/extension-key.pem" ] || { echo "key left after --uninstall"; return 1; }
}
check "default install: its own key and gecko id, extension built with them, only they are trusted (not the public dev ids)" own_identity

dev_warns() {
  local r="$work/devwarn" out
  mkdir -p "$r/home"
  inst --root "$r" --user --browsers chromium >/dev/null || return 1
  out=$("$bin/vidkeep" doctor --root "$r" 2>&1) || { echo "$out"; return 1; }
  grep -q 'WARN  the public development ids' <<<"$out" || { echo "$out"; return 1; }
}
check "--dev: doctor warns that the public development ids are trusted" dev_warns

# Finding 7 of issue 13: root in a checkout that belongs to someone else
# builds as that owner, and says so. cmake is a stand-in on PATH that notes
# who ran it and copies the tier's binaries (the real build is other tiers').
root_builds_as_owner() {
  local t="$work/owner" out
  mkdir -p "$t/repo" "$t/fake" "$t/root/home"
  chmod 755 "$work" "$t" "$t/fake"
  (cd "$repo" && git ls-files -z | tar --null -T - -cf -) | tar -x -C "$t/repo"
  cp "$bin/vidkeep-host" "$bin/vidkeep" "$t/fake/"
  : >"$t/who.log"
  chmod 666 "$t/who.log"
  printf '#!/bin/sh\nid -un >>"%s/who.log"\nif [ "$1" = --build ]; then mkdir -p "$2/bin" && cp "%s/fake/vidkeep-host" "%s/fake/vidkeep" "$2/bin/"; fi\n' \
    "$t" "$t" "$t" >"$t/fake/cmake"
  chmod 755 "$t/fake/cmake" "$t/fake/vidkeep-host" "$t/fake/vidkeep"
  chown -R nobody "$t/repo"
  out=$(PATH="$t/fake:$PATH" "$t/repo/installer/install.sh" --system --root "$t/root" --skip-extension --dev --browsers chromium 2>&1) \
    || { echo "$out"; return 1; }
  grep -q 'building as nobody, the owner of' <<<"$out" || { echo "not said: $out"; return 1; }
  [ "$(sort -u "$t/who.log")" = nobody ] && [ "$(wc -l <"$t/who.log")" -eq 2 ] \
    || { echo "cmake ran as: $(tr '\n' ' ' <"$t/who.log")"; return 1; }
  [ -x "$t/root/usr/local/bin/vidkeep-host" ] || { echo "not installed: $(cd "$t/root" && find . -type f | head)"; return 1; }
}
if [ "$(id -u)" -eq 0 ]; then
  check "install.sh --system as root in a checkout someone else owns builds as that owner and says so" root_builds_as_owner
else
  printf 'skip  install.sh as root in a checkout someone else owns (the tier is not root)\n'
fi

flatpak_asks() {
  local r="$work/flatpak" out
  mkdir -p "$r/home/.var/app/org.chromium.Chromium"
  out=$(inst --root "$r" --user 2>&1) || { echo "$out"; return 1; }
  [ ! -e "$r/home/.local/share/flatpak/overrides/org.chromium.Chromium" ] || { echo "override written without --flatpak"; return 1; }
  grep -q 'flatpak-chromium: found, not registered.*run any command outside its sandbox.*--flatpak' <<<"$out" || { echo "$out"; return 1; }
  out=$(inst --root "$r" --user --flatpak 2>&1) || { echo "$out"; return 1; }
  grep -qx 'org.freedesktop.Flatpak=talk' "$r/home/.local/share/flatpak/overrides/org.chromium.Chromium" || { echo "no override with --flatpak"; return 1; }
  grep -q 'may now run any command outside its sandbox' <<<"$out" || { echo "consequence not printed: $out"; return 1; }
}
check "Flatpak browser found: not registered (sandbox kept) unless --flatpak; the consequence is printed" flatpak_asks

purge() {
  local r="$work/purge"
  mkdir -p "$r/home"
  inst --root "$r" --user --browsers chromium >/dev/null || return 1
  mkdir -p "$r/home/.local/share/vidkeep" "$r/home/.local/state/vidkeep"
  echo db >"$r/home/.local/share/vidkeep/vidkeep.db"; echo log >"$r/home/.local/state/vidkeep/host.log"
  if inst --root "$r" --user --uninstall --purge </dev/null >/dev/null 2>&1; then echo "purged without --yes"; return 1; fi
  if [ ! -f "$r/home/.local/share/vidkeep/vidkeep.db" ] || [ ! -f "$r/home/.local/bin/vidkeep" ]; then echo "refused purge changed things"; return 1; fi
  inst --root "$r" --user --uninstall --purge --yes >/dev/null || return 1
  [ ! -e "$r/home/.local/share/vidkeep" ] && [ ! -e "$r/home/.local/state/vidkeep" ] && [ ! -e "$r/home/.local/bin/vidkeep" ] \
    || { listing "$r"; return 1; }
}
check "--uninstall --purge asks (refuses without --yes when not a terminal), then deletes videos and logs" purge

check "--purge without --uninstall is a usage error" bash -c '! "$0" --purge >/dev/null 2>&1' "$repo/installer/install.sh"

# ----------------------------------------------------------------- doctor ---
# doctor_case NAME BREAK EXPECT: a good install broken by BREAK must make
# doctor exit 1 and print EXPECT and a fix.
doctor_root="$work/doctor"
fresh_doctor_root() {
  rm -rf "$doctor_root"; mkdir -p "$doctor_root/home"
  inst --root "$doctor_root" --user --browsers chromium,firefox --extension-id "$EXTRA_ID" >/dev/null
}
doctor_good() {
  fresh_doctor_root || return 1
  local out; out=$("$bin/vidkeep" doctor --root "$doctor_root") || { echo "$out"; return 1; }
  grep -q 'hello as chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/: vidkeep-host' <<<"$out" &&
    grep -q 'hello as vidkeep@vidkeep.org: vidkeep-host' <<<"$out" && grep -q 'All checks passed' <<<"$out" || { echo "$out"; return 1; }
  out=$(VIDKEEP_DOCTOR_ROOT=$doctor_root "$bin/vidkeep" doctor) || { echo "$out"; return 1; }
}
check "doctor on a good install: manifests, binary, ids, hello round trips; exit 0" doctor_good

doctor_case() {
  local break_it=$1 expect=$2 out rc
  fresh_doctor_root || return 1
  eval "$break_it"
  out=$("$bin/vidkeep" doctor --root "$doctor_root" 2>&1); rc=$?
  [ $rc -eq 1 ] || { echo "exit $rc"; echo "$out"; return 1; }
  grep -qF -- "$expect" <<<"$out" || { echo "no '$expect' in:"; echo "$out"; return 1; }
  grep -A1 -F -- "$expect" <<<"$out" | grep -q 'fix: ' || { echo "no fix after '$expect':"; echo "$out"; return 1; }
}
cm='$doctor_root/home/.config/chromium/NativeMessagingHosts/org.vidkeep.host.json'
check "doctor: missing binary -> reported with fix, exit 1" \
  doctor_case 'rm "$doctor_root/home/.local/bin/vidkeep-host"' "/home/.local/bin/vidkeep-host does not exist"
check "doctor: binary not executable -> reported with fix, exit 1" \
  doctor_case 'chmod 644 "$doctor_root/home/.local/bin/vidkeep-host"' "is not an executable file"
check "doctor: wrong name -> reported with fix, exit 1" \
  doctor_case "jq '.name = \"org.other.host\"' \"$cm\" >\"$cm.t\" && mv \"$cm.t\" \"$cm\"" '"name" is "org.other.host"'
check "doctor: manifest missing a configured id -> reported with fix, exit 1" \
  doctor_case "jq '.allowed_origins -= [\"chrome-extension://$EXTRA_ID/\"]' \"$cm\" >\"$cm.t\" && mv \"$cm.t\" \"$cm\"" \
  "lacks chrome-extension://$EXTRA_ID/"
check "doctor: manifest lists an id the host refuses -> reported with fix, exit 1" \
  doctor_case "jq '.allowed_origins += [\"chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/\"]' \"$cm\" >\"$cm.t\" && mv \"$cm.t\" \"$cm\"" \
  "but the host refuses it"
check "doctor: invalid manifest JSON -> reported with fix, exit 1" \
  doctor_case "echo '{oops' >\"$cm\"" "is not a valid JSON object"
check "doctor: policy NativeMessagingUserLevelHosts=false blocks the per-user manifest -> fix, exit 1" \
  doctor_case 'mkdir -p "$doctor_root/etc/chromium/policies/managed" && echo "{\"NativeMessagingUserLevelHosts\": false}" >"$doctor_root/etc/chromium/policies/managed/corp.json"' \
  "per-user manifest ignored: policy NativeMessagingUserLevelHosts is false"
check "doctor: policy NativeMessagingBlocklist [*] -> fix, exit 1" \
  doctor_case 'mkdir -p "$doctor_root/etc/chromium/policies/managed" && echo "{\"NativeMessagingBlocklist\": [\"*\"]}" >"$doctor_root/etc/chromium/policies/managed/corp.json"' \
  "NativeMessagingBlocklist blocks org.vidkeep.host"
check "doctor: Firefox policies.json blocking the extension -> fix, exit 1" \
  doctor_case 'mkdir -p "$doctor_root/etc/firefox/policies" && echo "{\"policies\": {\"ExtensionSettings\": {\"*\": {\"installation_mode\": \"blocked\"}}}}" >"$doctor_root/etc/firefox/policies/policies.json"' \
  "ExtensionSettings blocks the extension vidkeep@vidkeep.org"
check "doctor: host config refusing the manifests' ids (no_dev_id) -> fix, exit 1" \
  doctor_case 'echo "{\"no_dev_id\": true, \"allowed_callers\": [\"x@y.org\"]}" >"$doctor_root/home/.config/vidkeep/config.json"' \
  "but the host refuses it"
check "doctor: a host that exits without answering -> hello fails with fix, exit 1" \
  doctor_case 'printf "#!/bin/sh\nexit 0\n" >"$doctor_root/home/.local/bin/vidkeep-host"' \
  "host closed its output without answering"
hung_host() {
  fresh_doctor_root || return 1
  printf '#!/bin/sh\nexec sleep 30\n' >"$doctor_root/home/.local/bin/vidkeep-host"
  local out rc start=$SECONDS
  out=$("$bin/vidkeep" doctor --root "$doctor_root" --timeout-ms 700 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -q 'no answer within 700 ms' <<<"$out" || { echo "exit $rc: $out"; return 1; }
  [ $((SECONDS - start)) -lt 10 ] || { echo "took $((SECONDS - start)) s"; return 1; }
  ! pgrep -f "^sleep 30$" -P $$ >/dev/null || { echo "host left running"; return 1; }
}
check "doctor: a host that never answers -> timeout reported, host killed, exit 1" hung_host
nothing_found() {
  local r="$work/empty" out rc
  mkdir -p "$r/home"
  out=$("$bin/vidkeep" doctor --root "$r" 2>&1); rc=$?
  [ $rc -eq 1 ] && grep -q 'no supported browser found' <<<"$out" || { echo "exit $rc: $out"; return 1; }
}
check "doctor with no browser and no manifest: exit 1 with a fix" nothing_found
allowed_ok_policy() {
  fresh_doctor_root || return 1
  mkdir -p "$doctor_root/etc/chromium/policies/managed"
  echo '{"NativeMessagingBlocklist": ["*"], "NativeMessagingAllowlist": ["org.vidkeep.host"]}' >"$doctor_root/etc/chromium/policies/managed/corp.json"
  "$bin/vidkeep" doctor --root "$doctor_root"
}
check "doctor: blocklist * with org.vidkeep.host allowlisted passes" allowed_ok_policy

# ------------------------------------------------------------------- .deb ---
deb_file=''
deb_build() {
  [ -f "$build/CPackConfig.cmake" ] || { echo "no $build/CPackConfig.cmake: configure the build with this CMakeLists.txt"; return 1; }
  (cd "$build" && cpack --config CPackConfig.cmake -G "DEB;TGZ" -B "$work/pkg") >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; return 1; }
  deb_file=$(ls "$work"/pkg/vidkeep_*.deb) && compgen -G "$work/pkg/vidkeep-*.tar.gz" >/dev/null || { ls "$work/pkg"; return 1; }
}
deb_contents() {
  local listing want
  listing=$(dpkg-deb -c "$deb_file" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | LC_ALL=C sort)
  want=$(printf '%s\n' /usr/bin/vidkeep /usr/bin/vidkeep-host /etc/vidkeep/config.json \
    /etc/opt/chrome/native-messaging-hosts/org.vidkeep.host.json /etc/chromium/native-messaging-hosts/org.vidkeep.host.json \
    /etc/opt/edge/native-messaging-hosts/org.vidkeep.host.json /etc/opt/vivaldi/native-messaging-hosts/org.vidkeep.host.json \
    /etc/opt/yandex/browser/native-messaging-hosts/org.vidkeep.host.json /usr/lib/mozilla/native-messaging-hosts/org.vidkeep.host.json \
    /usr/lib/librewolf/native-messaging-hosts/org.vidkeep.host.json /usr/lib/waterfox/native-messaging-hosts/org.vidkeep.host.json | LC_ALL=C sort)
  [ "$listing" = "$want" ] || { diff <(echo "$want") <(echo "$listing"); return 1; }
  dpkg-deb -c "$deb_file" >"$work/deb-list" || return 1
  grep -q '^-rwxr-xr-x root/root .* ./usr/bin/vidkeep-host$' "$work/deb-list" || { echo "vidkeep-host mode/owner"; return 1; }
  local x="$work/deb-x"
  dpkg-deb -x "$deb_file" "$x"
  expect_manifest "$x/etc/chromium/native-messaging-hosts/org.vidkeep.host.json" chromium /usr/bin/vidkeep-host "$DEV_ORIGIN" || return 1
  expect_manifest "$x/usr/lib/mozilla/native-messaging-hosts/org.vidkeep.host.json" firefox /usr/bin/vidkeep-host "$DEV_GECKO" || return 1
  dpkg-deb -I "$deb_file" conffiles | grep -qx /etc/vidkeep/config.json || { echo "config.json is not a conffile"; return 1; }
  # Shared-library Depends from dpkg-shlibdeps: vidkeep-host links SQLite and
  # OpenSSL statically (issue 15: start-up), the vidkeep tool still loads
  # FFmpeg for its media tool.
  dpkg-deb -f "$deb_file" Depends | grep -q 'libavformat' || { echo "no shared-library Depends"; return 1; }
  tar tzf "$work"/pkg/vidkeep-*.tar.gz | grep -qx 'usr/bin/vidkeep-host' || { echo "tar.gz does not mirror the package layout"; return 1; }
}
# The package is installed, removed and purged in a dpkg root of its own
# ($work/dpkg-root: dpkg --root, with its own admin dir, status and lock):
# the machine's /var/lib/dpkg and every system path stay untouched, so this
# runs on a machine where vidkeep is installed system-wide too (issue 13).
deb_install_purge() {
  local R="$work/dpkg-root" out d
  mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/tmp"
  : >"$R/var/lib/dpkg/status"
  # --force-depends: the empty root has none of the shared libraries the
  # package depends on (the binaries run from the real system's libraries).
  dpkg_r() { dpkg --root="$R" --force-not-root --force-depends "$@"; }
  out=$(dpkg_r -i "$deb_file" 2>&1) || { echo "$out"; return 1; }
  [ -x "$R/usr/bin/vidkeep-host" ] && [ -f "$R/etc/chromium/native-messaging-hosts/org.vidkeep.host.json" ] \
    && [ -f "$R/etc/vidkeep/config.json" ] || { echo "not installed under $R"; find "$R" | head -40; return 1; }
  [ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' vidkeep)" = "install ok installed" ] || { echo "not recorded in $R's dpkg status"; return 1; }
  # The installed host answers hello as the package's development id (its
  # config says dev_ids: this package was built without real ids).
  out=$(printf '\x1d\x00\x00\x00{"id":"h","type":"hello"}     ' | VIDKEEP_HOME="$work/deb-home" VIDKEEP_SYSTEM_CONFIG="$R/etc/vidkeep/config.json" \
        timeout 10 "$R/usr/bin/vidkeep-host" "$DEV_ORIGIN" | tail -c +5)
  grep -q '"ok":true' <<<"$out" || { echo "hello from the packaged host: $out"; return 1; }
  out=$(dpkg_r -r vidkeep 2>&1) || { echo "$out"; return 1; }
  [ ! -e "$R/usr/bin/vidkeep-host" ] && [ -f "$R/etc/vidkeep/config.json" ] || { echo "dpkg -r should keep only the conffiles"; return 1; }
  out=$(dpkg_r --purge vidkeep 2>&1) || { echo "$out"; return 1; }
  for d in "$R/etc/vidkeep" "$R/usr/bin/vidkeep" "$R/usr/bin/vidkeep-host" "$R/etc/chromium/native-messaging-hosts/org.vidkeep.host.json" \
           "$R/usr/lib/mozilla/native-messaging-hosts/org.vidkeep.host.json"; do
    [ ! -e "$d" ] || { echo "$d left after --purge"; return 1; }
  done
}

if ! skipped deb; then
  if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null; then
    check ".deb and .tar.gz built by CPack" deb_build
    deb_file=$(compgen -G "$work/pkg/vidkeep_*.deb" | head -n 1)
    if [ -n "$deb_file" ]; then
      check ".deb contents: binaries, system manifests for every family, conffiles, Depends" deb_contents
      check ".deb in an isolated dpkg root: dpkg -i, the host answers, dpkg -r keeps conffiles, dpkg --purge leaves nothing" deb_install_purge
    fi
  else
    not_ok "cpack and dpkg-deb are needed for the package tests"
  fi
fi

# --------------------------------------------------------------- browsers ---
# A tiny extension of our own (tests/installer/fixtures/ext, with the
# development key and gecko id) says hello to the host the installer
# registered and POSTs the answer to a local server.
server_port=''
server_pid=''
start_server() {
  mkdir -p "$work/srv"
  node "$repo/tests/installer/fixtures/server.mjs" "$work/port" "$work/reports" "$work/srv" 2>"$work/server.log" &
  server_pid=$!
  pids+=("$server_pid")
  local _i
  for _i in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  server_port=$(cat "$work/port" 2>/dev/null)
  [ -n "$server_port" ]
}
# fixture_ext DIR: the test extension, reporting to our server.
fixture_ext() {
  rm -rf "$1"; cp -r "$repo/tests/installer/fixtures/ext" "$1"
  echo "globalThis.REPORT_URL = 'http://127.0.0.1:$server_port/report';" >"$1/report-url.js"
}
# wait_report PID PATTERN SECONDS: waits for a report line matching PATTERN
# while the browser PID lives; then ends the browser.
wait_report() {
  local pid=$1 pattern=$2 limit=$3 start=$SECONDS found=1
  while [ $((SECONDS - start)) -lt "$limit" ]; do
    if grep -q -- "$pattern" "$work/reports" 2>/dev/null; then found=0; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  stop_pid "$pid"
  return $found
}
stop_pid() {
  local pid=$1 _i
  kill -TERM "$pid" 2>/dev/null
  for _i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
# Run it in the background (`browser_env ROOT cmd... &`): exec makes $! the
# browser's own PID, so it can be ended by PID.
browser_env() {  # the environment of a browser run inside the fake home
  exec env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_STATE_HOME -u XDG_CACHE_HOME -u VIDKEEP_HOME \
    HOME="$1/home" TMPDIR="$TMPDIR" VIDKEEP_SYSTEM_CONFIG="$1/etc/vidkeep/config.json" "${@:2}"
}
chromium_flags=(--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1')
chromium_bin=/usr/lib/chromium/chromium
[ -x "$chromium_bin" ] || chromium_bin=$(command -v chromium || true)

real_chromium() {
  local r="$work/br-chromium" ext="$work/ext-chromium"
  mkdir -p "$r/home"
  inst --root "$r" --user --browsers chromium >/dev/null || return 1
  fixture_ext "$ext"
  : >"$work/reports"
  browser_env "$r" "$chromium_bin" "${chromium_flags[@]}" --user-data-dir="$r/home/.config/chromium" \
    --load-extension="$ext" --disable-extensions-except="$ext" about:blank >"$work/chromium.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_report "$pid" '"ok":true' 30 || { echo "no hello answer; reports:"; cat "$work/reports"; tail -5 "$work/chromium.log"; return 1; }
  grep '"ok":true' "$work/reports" | head -n 1 | jq -e '.id == "dcdfhfchgbigephadgggjnlglgfffpgb" and .message.ok == true and .message.protocol == 1' >/dev/null \
    || { cat "$work/reports"; return 1; }
  grep -q "started for chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/" "$r/home/.local/state/vidkeep/host.log" || { echo "host log:"; cat "$r/home/.local/state/vidkeep/host.log"; return 1; }
}
real_firefox() {
  local r="$work/br-firefox" ext="$work/ext-firefox" profile="$work/ff-profile"
  mkdir -p "$r/home" "$profile/extensions"
  inst --root "$r" --user --browsers firefox >/dev/null || return 1
  fixture_ext "$ext"
  (cd "$ext" && zip -qr "$profile/extensions/vidkeep@vidkeep.org.xpi" .) || return 1
  cat >"$profile/user.js" <<'PREFS'
user_pref("xpinstall.signatures.required", false);
user_pref("extensions.autoDisableScopes", 0);
user_pref("extensions.enabledScopes", 15);
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("network.proxy.no_proxies_on", "127.0.0.1");
user_pref("toolkit.telemetry.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("app.normandy.enabled", false);
user_pref("dom.push.enabled", false);
user_pref("browser.region.network.url", "");
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("app.update.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
PREFS
  : >"$work/reports"
  browser_env "$r" MOZ_REMOTE_SETTINGS_DEVTOOLS=1 firefox-esr --headless --no-remote --new-instance \
    --profile "$profile" about:blank >"$work/firefox.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_report "$pid" '"ok":true' 40 || { echo "no hello answer; reports:"; cat "$work/reports"; tail -5 "$work/firefox.log"; return 1; }
  grep '"ok":true' "$work/reports" | head -n 1 | jq -e '.id == "vidkeep@vidkeep.org" and .message.ok == true and .message.protocol == 1' >/dev/null \
    || { cat "$work/reports"; return 1; }
}

# --------------------------------------------------------- self-hosted CRX ---
# The fleet path of docs/admin.md, end to end: the fixture extension packed by
# packaging/extension.sh as a CRX signed with a fresh admin key, served with
# its updates.xml by the local server; install.sh --system --crx-key into a
# fake root; and a real Chromium whose /etc/chromium is, in a mount namespace
# of its own (unshare -m, private propagation), the fake root's: the managed
# policy ExtensionInstallForcelist ["<id>;http://127.0.0.1:PORT/updates.xml"]
# and the system-wide host manifest. No other process on the machine ever sees
# the policy, the real /etc is not written, and the namespace (with its bind
# mount) ends with the browser's processes. On Linux no other policy is needed
# for an off-store force-install (ExtensionInstallSources only governs
# user-initiated installs). --disable-background-networking is left out on
# purpose: with it Chromium never fetches force-installed extensions.
crx_chromium_flags=(--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-component-update --disable-sync '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1')
unshare_flags=(-m)
[ "$(id -u)" -eq 0 ] || unshare_flags=(-r -m)  # a user namespace lets a non-root user bind-mount
crx_prereqs() {  # prints why the CRX test cannot run here; empty when it can
  [ -x "$chromium_bin" ] || { echo "Chromium is not installed"; return; }
  [ -d /etc/chromium ] || { echo "no /etc/chromium to stand in for (Debian's chromium package)"; return; }
  command -v unshare >/dev/null && command -v openssl >/dev/null || { echo "unshare and openssl are needed"; return; }
  timeout 10 unshare "${unshare_flags[@]}" -- sh -c 'mount --bind "$0" /etc/chromium' "$work" 2>/dev/null \
    || echo "cannot bind-mount over /etc/chromium in a private mount namespace (unshare ${unshare_flags[*]})"
}
crx_force_install() {
  local r="$work/crx" key="$work/crx-admin.pem" dist="$work/crx-dist" profile="$work/crx-profile" out id
  local etc="$work/crx/etc/chromium" url="http://127.0.0.1:$server_port" before_etc
  mkdir -p "$r/home" "$dist" "$profile"
  before_etc=$(listing /etc/chromium)
  timeout 30 openssl genrsa -out "$key" 2048 2>/dev/null || { echo "openssl genrsa failed"; return 1; }
  fixture_ext "$dist/chromium"
  out=$(timeout 90 "$repo/packaging/extension.sh" crx --key "$key" --base-url "$url" --dist "$dist" --out "$work/srv" 2>&1) \
    || { echo "packaging/extension.sh crx failed:"; echo "$out"; return 1; }
  id=$(sed -n 's/^extension id: \([a-p]\{32\}\) .*/\1/p' <<<"$out")
  [[ "$id" =~ ^[a-p]{32}$ ]] && [ "$id" != "${DEV_ORIGIN:19:32}" ] || { echo "no admin-key id in:"; echo "$out"; return 1; }
  grep -qF "<app appid='$id'>" "$work/srv/updates.xml" && grep -qF "codebase='$url/vidkeep.crx'" "$work/srv/updates.xml" \
    || { echo "updates.xml:"; cat "$work/srv/updates.xml"; return 1; }
  out=$(inst --root "$r" --system --browsers chromium --crx-key "$key" 2>&1) || { echo "$out"; return 1; }
  grep -qF "extension id $id" <<<"$out" || { echo "install.sh --crx-key did not report $id:"; echo "$out"; return 1; }
  jq -e --arg o "chrome-extension://$id/" '.allowed_origins | index($o)' "$etc/native-messaging-hosts/org.vidkeep.host.json" >/dev/null \
    || { echo "system manifest lacks $id"; return 1; }
  # The rest of the stand-in /etc/chromium: Debian's defaults, and the policy.
  find /etc/chromium -maxdepth 1 -type f -exec cp {} "$etc/" \;
  mkdir -p "$etc/policies/managed"
  jq -n --arg e "$id;$url/updates.xml" '{ExtensionInstallForcelist: [$e]}' >"$etc/policies/managed/vidkeep-test.json"
  : >"$work/reports"; : >"$work/reports.requests"
  browser_env "$r" unshare "${unshare_flags[@]}" -- sh -c 'mount --bind "$0" /etc/chromium && exec "$@"' "$etc" \
    "$chromium_bin" "${crx_chromium_flags[@]}" --user-data-dir="$profile" about:blank >"$work/crx-chromium.log" 2>&1 &
  local pid=$! start=$SECONDS looked='' leak=''
  pids+=("$pid")
  while [ $((SECONDS - start)) -lt 40 ]; do
    # Once Chromium has asked for updates.xml it has read the policy: check
    # from out here that neither the policy nor the mount is visible.
    if [ -z "$looked" ] && grep -q '^GET /updates.xml' "$work/reports.requests" 2>/dev/null; then
      looked=1
      [ ! -e /etc/chromium/policies/managed/vidkeep-test.json ] || leak="the policy is visible outside the namespace"
      ! grep -qF "$work" /proc/self/mountinfo || leak="the bind mount is visible outside the namespace"
    fi
    [ -s "$work/reports" ] && break  # the extension reports once, success or not
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  stop_pid "$pid"
  [ -z "$leak" ] || { echo "$leak"; return 1; }
  grep -q '"ok":true' "$work/reports" || { echo "no hello answer; reports:"; cat "$work/reports"; echo "requests:"; cat "$work/reports.requests"; tail -5 "$work/crx-chromium.log"; return 1; }
  grep '"ok":true' "$work/reports" | head -n 1 | jq -e --arg id "$id" '.id == $id and .message.ok == true and .message.protocol == 1' >/dev/null \
    || { cat "$work/reports"; return 1; }
  grep -q "^GET /updates.xml?.*installedby%3Dpolicy" "$work/reports.requests" && grep -q '^GET /vidkeep.crx' "$work/reports.requests" \
    || { echo "not installed through the policy; requests:"; cat "$work/reports.requests"; return 1; }
  # Installed from the CRX (not unpacked), with the fixture's code.
  local installed; installed=$(compgen -G "$profile/Default/Extensions/$id/*/manifest.json" | head -n 1)
  [ -n "$installed" ] && jq -e --arg u "$url/updates.xml" '.update_url == $u' "$installed" >/dev/null \
    && cmp -s "$(dirname "$installed")/sw.js" "$repo/tests/installer/fixtures/ext/sw.js" \
    || { echo "no installed copy of the CRX in the profile"; find "$profile/Default/Extensions" 2>&1 | head; return 1; }
  grep -rqF "started for chrome-extension://$id/" "$r/home/.local/state/vidkeep" "$r/var/log/vidkeep" 2>/dev/null \
    || { echo "the host's log does not show the CRX's id"; return 1; }
  [ "$before_etc" = "$(listing /etc/chromium)" ] || { echo "/etc/chromium changed:"; diff <(echo "$before_etc") <(listing /etc/chromium); return 1; }
}

want_browsers=true; skipped browsers && want_browsers=false
want_crx=true; skipped crx && want_crx=false
if { $want_browsers || $want_crx; } && { ! command -v node >/dev/null || ! start_server; }; then
  not_ok "local test server (node) did not start: $(cat "$work/server.log" 2>/dev/null)"
  want_browsers=false; want_crx=false
fi
if $want_browsers; then
  if [ -x "$chromium_bin" ]; then
    check "real Chromium (--user-data-dir=\$HOME/.config/chromium) finds the registered host and gets a hello answer" real_chromium
  else
    not_ok "Chromium is not installed (installer/deps.sh test)"
  fi
  if command -v firefox-esr >/dev/null; then
    check "real Firefox (fake HOME) finds the registered host and gets a hello answer" real_firefox
  else
    not_ok "firefox-esr is not installed (installer/deps.sh test)"
  fi
fi
if $want_crx; then
  why=$(crx_prereqs)
  if [ -z "$why" ]; then
    check "real Chromium force-installs the self-hosted CRX (admin key, policy in a private /etc/chromium, local updates.xml) and it reaches the --system host; policy never visible outside" crx_force_install
  else
    not_ok "self-hosted CRX test cannot run: $why"
  fi
fi

[ -n "$server_pid" ] && stop_pid "$server_pid"
no_leftovers() {
  local left _i
  for _i in $(seq 1 30); do left=$(leftovers); [ -z "$left" ] && return 0; sleep 0.2; done
  for pid in $left; do tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-160; echo; done
  return 1
}
check "no browser, host or server process left running" no_leftovers

system_unchanged() {
  local after
  after=$(system_vidkeep_state)
  [ "$system_before" = "$after" ] || { diff <(echo "$system_before") <(echo "$after"); return 1; }
  echo "$(grep -c . <<<"$system_before") lines of system vidkeep state compared"
}
check "this machine's own vidkeep files and dpkg record are byte for byte as before the tier" system_unchanged

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
