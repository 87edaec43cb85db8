#!/usr/bin/env bash
# The Wine tier (issue 14): vidkeep's Windows build, made by
# installer/windows/build.sh, tested under Wine on this Debian machine.
#
#   unit    the Catch2 unit tests (vidkeep_tests.exe)
#   node    the host integration tests (tests/host/) driving vidkeep-host.exe
#           and vidkeep.exe over real pipes, through wrappers that start them
#           under Wine (VIDKEEP_WINE=1: Linux-only tests skip with a reason)
#   launch  the host started as Chrome starts it (cmd.exe, named pipes) and as
#           Firefox does (inherited pipes), answering hello; a caller it does
#           not allow is refused
#   msi     the MSI: install → registry keys (64-bit view) and files → hello
#           from the installed host → doctor → uninstall leaves nothing
#   user    vidkeep.exe install --user → HKCU keys → doctor → uninstall --user
#           leaves nothing
#
#   tests/windows/run.sh [--no-build] [STEP...]     (default: every step)
#
# Each run gets a private Wine prefix: a copy of the one
# installer/windows/wine-prefix.sh makes once (cached outside the clone), so
# no run sees another's registry or files. Its wineserver lingers 30 s at most
# after the last Wine process (and is ended on exit); every step is bounded by
# `timeout`. Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

build=true
steps=()
for a in "$@"; do
  case "$a" in
    --no-build) build=false ;;
    unit|node|launch|msi|user) steps+=("$a") ;;
    *) echo "usage: $0 [--no-build] [unit|node|launch|msi|user]..." >&2; exit 2 ;;
  esac
done
[ ${#steps[@]} -gt 0 ] || steps=(unit node launch msi user)

DEV_CHROMIUM=chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/
DEV_FIREFOX=vidkeep@vidkeep.org
OWN_CHROMIUM=abcdefghijklmnopabcdefghijklmnop
OWN_GECKO=vidkeep-wine-test@example.org
win=$root/build-win/bin
msi=$root/build-win/vidkeep.msi
failed=()
started_all=$SECONDS

step() { printf '\n== wine: %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; failed+=("$*"); }
# The Windows path of a Linux file (Wine's Z: drive is /).
winpath() { local p; p=$(readlink -f "$1"); printf 'Z:%s' "${p//\//\\}"; }

if $build; then
  step "build (installer/windows/build.sh)"
  t=$SECONDS
  installer/windows/build.sh
  echo "build: $((SECONDS - t)) s"
fi
for exe in vidkeep-host.exe vidkeep.exe vidkeep_tests.exe vidkeep_chrome_launch.exe; do
  [ -f "$win/$exe" ] || { echo "missing $win/$exe: run installer/windows/build.sh" >&2; exit 1; }
done

# --- the prefix: a private copy of the cached one -----------------------------
t=$SECONDS
base=$(installer/windows/wine-prefix.sh)
# A wineserver still running on the cached prefix (a build's ctest) may not
# have written its registry yet: wait for it before copying.
WINEPREFIX=$base timeout 60 wineserver -w || true
work=$(mktemp -d "${TMPDIR:-/tmp}/vidkeep-wine.XXXXXX")
cleanup() {
  WINEPREFIX=$work/prefix timeout 30 wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp -a "$base" "$work/prefix"
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml,winemenubuilder.exe='
# One wineserver (and Wine's services) for the whole run, not one per process.
timeout 30 wineserver -p30
wine=$(command -v wine64 || command -v wine)
drive_c=$WINEPREFIX/drive_c
user_dir=$drive_c/users/$(id -un)
echo "prefix: $WINEPREFIX (copied from $base in $((SECONDS - t)) s; $("$wine" --version))"

# ------------------------------------------------------------------- unit ---
run_unit() {
  step "unit tests (vidkeep_tests.exe)"
  local out=$work/unit.txt
  # Catch2 runs in its own folder: the tests' scratch files stay in the run's temp.
  if (cd "$work" && timeout 900 "$wine" "$win/vidkeep_tests.exe") >"$out" 2>&1; then
    tail -n 3 "$out"
  else
    tail -n 60 "$out"
    fail "unit: vidkeep_tests.exe"
  fi
}

# ------------------------------------------------------------------- node ---
# What the Node suite checks under Wine: the framing, every request type, bad
# input, several hosts on one database, kills during bursts, sync over HTTP and
# HTTPS, the lifecycle and the CLI. Linux-only tests inside skip themselves.
node_files=(
  requests bad-input concurrency crash sync tls lifecycle wire-names identity app-save cli
)
run_node() {
  step "host integration tests under Wine (tests/host: ${node_files[*]})"
  local bin=$work/bin f files=()
  mkdir -p "$bin"
  # The suite starts $VIDKEEP_BIN/vidkeep-host and $VIDKEEP_BIN/vidkeep: each
  # wrapper execs Wine in its own process, so a kill -9 of it kills the host.
  for f in vidkeep-host vidkeep; do
    printf '#!/bin/sh\nWINEPREFIX=%q exec %q %q "$@"\n' "$WINEPREFIX" "$wine" "$win/$f.exe" >"$bin/$f"
    chmod +x "$bin/$f"
  done
  for f in "${node_files[@]}"; do files+=("tests/host/$f.test.mjs"); done
  local out=$work/node.txt
  # Two at a time: each host is a Wine process; more only adds contention on 2 cores.
  if VIDKEEP_BIN=$bin VIDKEEP_WINE=1 timeout 1500 node --test --test-reporter=spec --test-concurrency=2 \
      --test-timeout=600000 "${files[@]}" >"$out" 2>&1; then
    :
  else
    # The failures, with their assertion messages (the stack lines left out).
    sed -n '/^✖ failing tests:/,$p' "$out" | grep -vE '^\s+at ' | head -n 200
    fail "node: tests/host under Wine"
  fi
  grep -E '^ℹ (tests|pass|fail|skipped|duration_ms) ' "$out" || true
  echo "skipped under Wine (with reasons):"
  grep -E '# SKIP|# Linux only' "$out" | sed 's/^ */  /' | sort -u || true
}

# ----------------------------------------------------------------- launch ---
# A data root trusting the development ids, as the Node suite's makeHome does.
make_home() {
  mkdir -p "$1"
  printf '{}\n' >"$1/config.json"
  printf '{"dev_ids": true}\n' >"$1/system-config.json"
}
# launch MODE HOST.EXE ARGS...: the launcher's exit status, its output shown.
launch() {
  local out=$work/launch.txt rc=0
  VIDKEEP_LAUNCH_TIMEOUT_MS=30000 timeout 120 "$wine" "$win/vidkeep_chrome_launch.exe" "$@" >"$out" 2>&1 || rc=$?
  sed 's/^/  /' "$out"
  return $rc
}
run_launch() {
  step "launch as Chrome (cmd.exe, named pipes) and as Firefox (inherited pipes)"
  local home=$work/launch-home host
  make_home "$home"
  host=$(winpath "$win/vidkeep-host.exe")
  export VIDKEEP_HOME=$home VIDKEEP_SYSTEM_CONFIG=$home/system-config.json
  launch chrome "$host" "$DEV_CHROMIUM" || fail "launch: Chrome's way"
  launch firefox "$host" 'C:\Program Files\vidkeep\manifests\firefox.json' "$DEV_FIREFOX" || fail "launch: Firefox's way"
  # The same way with a caller the host does not allow must fail: the check
  # above can fail.
  if launch chrome "$host" chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/; then
    fail "launch: an unknown extension got an ok hello"
  fi
  unset VIDKEEP_HOME VIDKEEP_SYSTEM_CONFIG
}

# -------------------------------------------------------------------- msi ---
# Registry keys written for the browsers, per scope.
# The same list as host/registration-win32.cpp's RegistryEntries.
browser_keys=('Google\Chrome' Chromium 'Microsoft\Edge' 'BraveSoftware\Brave-Browser' Mozilla)

# snapshot NAME: what an installer may write: HKLM\Software and
# HKCU\Software (less Wine's own settings; HKLM\System holds only what Wine's
# display and device services write as they start), and the files of drive
# C, less the user's data folder and temp folders (checked on their own).
snapshot() {
  local key
  for key in HKEY_LOCAL_MACHINE\\Software HKEY_CURRENT_USER\\Software; do
    timeout 120 "$wine" regedit /E "$(winpath "$work")\\$1-${key%%\\*}.reg" "$key"
    iconv -f UTF-16LE -t UTF-8 "$work/$1-${key%%\\*}.reg" | tr -d '\r' \
      | awk '/^\[/ { skip = index($0, "[HKEY_CURRENT_USER\\Software\\Wine") == 1 } !skip' >"$work/$1-${key%%\\*}.txt"
  done
  (cd "$drive_c" && find . -path ./windows/temp -prune -o -path "./users/*/Temp" -prune \
    -o -path "./users/*/AppData/Local/vidkeep" -prune -o -print | sort) >"$work/$1-files.txt"
}
# leaves_nothing BEFORE AFTER WHAT: fails on any difference but Windows
# Installer's own empty bookkeeping keys and its cache folder.
leaves_nothing() {
  local hive left bad=0
  for hive in HKEY_LOCAL_MACHINE HKEY_CURRENT_USER; do
    left=$(diff "$work/$1-$hive.txt" "$work/$2-$hive.txt" | grep -E '^[<>]' \
      | grep -vE '^> (\[HKEY_LOCAL_MACHINE\\Software\\(Classes\\Installer|Microsoft\\Windows\\CurrentVersion\\Installer)(\\[^]]*)?\])?$' || true)
    [ -z "$left" ] || { printf '%s\n' "$left" | head -n 40; fail "$3: $hive\\Software differs after uninstall"; bad=1; }
  done
  left=$(diff "$work/$1-files.txt" "$work/$2-files.txt" | grep -E '^[<>]' | grep -vxF '> ./windows/Installer' || true)
  [ -z "$left" ] || { printf '%s\n' "$left" | head -n 40; fail "$3: files differ after uninstall"; bad=1; }
  [ $bad -eq 0 ] && echo "  $3: after uninstall no file or registry key of vidkeep is left"
  return 0
}
# reg_default KEY: the key's default value in the 64-bit view (empty if none).
reg_default() {
  timeout 60 "$wine" reg query "$1" /ve /reg:64 2>/dev/null | tr -d '\r' | sed -n 's/^ *(Default) *REG_SZ *//p'
}

run_msi() {
  step "MSI (wixl): install, keys, files, hello, doctor, uninstall"
  [ -f "$msi" ] || { fail "msi: $msi is missing (installer/windows/msi.sh)"; return; }
  local pf="C:\\Program Files\\vidkeep" k want got rc
  # User data from before: the MSI must never touch it.
  mkdir -p "$user_dir/AppData/Local/vidkeep"
  echo "a user's data" >"$user_dir/AppData/Local/vidkeep/keep-me"
  snapshot msi-before
  timeout 300 "$wine" msiexec /i "$(winpath "$msi")" /qn /l*v "$(winpath "$work")\\msi-install.log" \
    || { fail "msi: msiexec /i"; tail -n 40 "$work/msi-install.log" 2>/dev/null | iconv -f UTF-16LE -t UTF-8 || true; return; }
  for k in "${browser_keys[@]}"; do
    want="$pf\\manifests\\chromium.json"
    [ "$k" = Mozilla ] && want="$pf\\manifests\\firefox.json"
    got=$(reg_default "HKLM\\Software\\$k\\NativeMessagingHosts\\org.vidkeep.host")
    if [ "$got" = "$want" ]; then printf "  HKLM\\Software\\%s\\NativeMessagingHosts\\org.vidkeep.host = %s\n" "$k" "$got"
    else fail "msi: HKLM\\Software\\$k\\NativeMessagingHosts\\org.vidkeep.host is '$got', not '$want'"; fi
  done
  for f in "Program Files/vidkeep/vidkeep-host.exe" "Program Files/vidkeep/vidkeep.exe" \
      "Program Files/vidkeep/manifests/chromium.json" "Program Files/vidkeep/manifests/firefox.json" \
      "ProgramData/vidkeep/config.json"; do
    [ -f "$drive_c/$f" ] || fail "msi: C:/$f is missing"
  done
  # The manifests: the installed host's Windows path, the development ids (an
  # MSI built without --extension-id), as installer/install.sh writes them.
  node -e '
    const fs = require("fs");
    const [dir, origin, gecko] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(dir + "/manifests/chromium.json"));
    const f = JSON.parse(fs.readFileSync(dir + "/manifests/firefox.json"));
    const want = "C:\\Program Files\\vidkeep\\vidkeep-host.exe";
    const bad = [];
    for (const m of [c, f]) {
      if (m.name !== "org.vidkeep.host" || m.type !== "stdio" || m.path !== want) bad.push(JSON.stringify(m));
    }
    if (JSON.stringify(c.allowed_origins) !== JSON.stringify([origin])) bad.push("allowed_origins " + JSON.stringify(c.allowed_origins));
    if (JSON.stringify(f.allowed_extensions) !== JSON.stringify([gecko])) bad.push("allowed_extensions " + JSON.stringify(f.allowed_extensions));
    if (bad.length) { console.error(bad.join("\n")); process.exit(1); }
    console.log("  manifests: path " + want + ", " + origin + ", " + gecko);
  ' "$drive_c/Program Files/vidkeep" "$DEV_CHROMIUM" "$DEV_FIREFOX" || fail "msi: manifest contents"
  # The installed host, started from C:\Program Files (a path with a space)
  # as Chrome starts it; it reads the MSI's %ProgramData% config and keeps its
  # data in %LOCALAPPDATA%\vidkeep.
  launch chrome "$pf\\vidkeep-host.exe" "$DEV_CHROMIUM" || fail "msi: hello from the installed host"
  rc=0
  timeout 120 "$wine" "$pf\\vidkeep.exe" doctor >"$work/doctor.txt" 2>&1 || rc=$?
  sed 's/^/  /' "$work/doctor.txt"
  [ $rc -eq 0 ] || fail "msi: vidkeep doctor (exit $rc)"

  timeout 300 "$wine" msiexec /x "$(winpath "$msi")" /qn || fail "msi: msiexec /x"
  snapshot msi-after
  leaves_nothing msi-before msi-after msi
  if [ -f "$user_dir/AppData/Local/vidkeep/keep-me" ]; then echo "  msi: the user's data was kept"
  else fail "msi: uninstall removed the user's data"; fi
}

# ------------------------------------------------------------------- user ---
run_user() {
  step "vidkeep.exe install --user, doctor, uninstall --user"
  local cli k got rc
  cli=$(winpath "$win/vidkeep.exe")
  snapshot user-before
  # A user's own extension, as installer/install.sh --user --extension-id does
  # it: the browsers and the host must both allow it (doctor's hello).
  timeout 120 "$wine" "$cli" install --user --no-dev-id --extension-id "$OWN_CHROMIUM" --extension-id "$OWN_GECKO" \
    || { fail "user: install --user"; return; }
  for k in "${browser_keys[@]}"; do
    got=$(reg_default "HKCU\\Software\\$k\\NativeMessagingHosts\\org.vidkeep.host")
    if [ -n "$got" ] && [ -f "$(timeout 30 "$wine" winepath -u "$got" 2>/dev/null)" ]; then
      printf "  HKCU\\Software\\%s\\NativeMessagingHosts\\org.vidkeep.host = %s\n" "$k" "$got"
    else
      fail "user: HKCU\\Software\\$k\\NativeMessagingHosts\\org.vidkeep.host is '$got' (no manifest there)"
    fi
  done
  rc=0
  timeout 120 "$wine" "$cli" doctor >"$work/doctor-user.txt" 2>&1 || rc=$?
  sed 's/^/  /' "$work/doctor-user.txt"
  [ $rc -eq 0 ] || fail "user: vidkeep doctor (exit $rc)"
  timeout 120 "$wine" "$cli" uninstall --user || fail "user: uninstall --user"
  snapshot user-after
  leaves_nothing user-before user-after user
  # The manifests live in the data folder (%LOCALAPPDATA%\vidkeep\manifests),
  # which the snapshots leave out (doctor's hello made a database there):
  # nothing of install --user may stay in it.
  local left
  left=$(find "$user_dir/AppData/Local/vidkeep/manifests" -mindepth 1 2>/dev/null || true)
  [ -z "$left" ] || { printf '  left: %s\n' "$left"; fail "user: uninstall --user left manifests behind"; }
  # install --user wrote the caller into a config.json it created: gone again.
  [ ! -e "$user_dir/AppData/Local/vidkeep/config.json" ] || fail "user: uninstall --user left config.json"
}

for s in "${steps[@]}"; do
  t=$SECONDS
  "run_$s"
  echo "$s: $((SECONDS - t)) s"
done
echo
echo "wine tier: $((SECONDS - started_all)) s"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'wine tier FAILED:\n'; printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "wine tier passed"
