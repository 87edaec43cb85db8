#!/usr/bin/env bash
# Builds the Windows (x86_64-w64-mingw32, posix threads) dependency SDK that
# cmake/mingw-w64.cmake points at, from Debian SOURCE packages, and prints its
# path on stdout. Nothing is vendored or downloaded from anywhere but Debian's
# registry: `apt-get source` with a private apt configuration (its own sources
# list with deb-src lines for the machine's Debian suites, its own state and
# cache) so the machine's apt setup is never touched.
#
#   installer/windows/sdk.sh          build (or reuse) the SDK, print its path
#
# The SDK lives in ${VIDKEEP_CACHE:-$XDG_CACHE_HOME/vidkeep}/win-sdk/<key>, key =
# hash of the source package versions, the header packages it links to, this
# script and the compiler: a complete SDK with the same key is reused. It is
# built in <key>.tmp.* and renamed when complete, so a killed build never
# leaves a half SDK behind.
#
# What is in it (all static libraries):
#   sqlite3 (amalgamation with FTS5, from Debian's sqlite3 source + patches),
#   SQLiteCpp, fmt, spdlog, Boost.URL (one TU from the installed Boost headers),
#   zlib (for FFmpeg's PNG decoder and compressed mov/mkv headers), OpenSSL 3.0,
#   a minimal FFmpeg (what host/media_probe.cpp needs),
#   include/ symlinks to the header-only -dev packages (Boost, nlohmann-json,
#   CLI11, Catch2) so /usr/include is never on the cross include path,
#   CMake package files and pkg-config files to find all of it.
# An SDK is complete once installer/windows/smoke, linked against all of it,
# has run under Wine.
# Progress and build times go to stderr and <sdk>/BUILD-TIMES.
set -euo pipefail
# The whole script is one compound command, read before it runs: editing the
# file during a build cannot change what the running build does.
{
script=$(readlink -f "$0")
cache=${VIDKEEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vidkeep}
root=$cache/win-sdk
triple=x86_64-w64-mingw32
cc=$triple-gcc-posix
cxx=$triple-g++-posix
jobs=${VIDKEEP_SDK_JOBS:-2}
toolchain=$(readlink -f "$(dirname "$script")/../../cmake/mingw-w64.cmake")
# Debian source packages compiled into the SDK.
sources=(sqlite3 sqlitecpp fmtlib spdlog zlib openssl ffmpeg)
# Installed packages whose headers (or config files) the SDK exposes.
header_packages=(libboost1.81-dev nlohmann-json3-dev libcli11-dev catch2)

log() { echo "sdk: $*" >&2; }
die() { trap - EXIT; echo "sdk: error: $*" >&2; exit 1; }

command -v "$cxx" >/dev/null || die "$cxx not found: run installer/deps.sh windows"
command -v dpkg-source >/dev/null || die "dpkg-source not found: run installer/deps.sh windows"
mkdir -p "$root"

# --- private apt: deb-src lines for the Debian suites the machine uses -------
apt_dir=$root/apt
mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
# Enabled deb822 files (*.sources) and one-line files (*.list) both count;
# only suites of this release (bookworm, bookworm-updates, bookworm-security).
emit_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v c="$codename" '$1 == "deb" {
        opts = ""; i = 2
        if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
        if ($(i + 1) !~ "^" c "(-|$)") next
        line = "deb-src" opts
        for (j = i; j <= NF; j++) line = line " " $j
        print line
      }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # One stanza per paragraph; fields may not span lines in the files we read.
    awk -v c="$codename" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
          n = split(suites, s, " ")
          for (k = 1; k <= n; k++) if (s[k] ~ "^" c "(-|$)") {
            opt = signed != "" ? " [signed-by=" signed "]" : ""
            m = split(uris, u, " ")
            for (l = 1; l <= m; l++) print "deb-src" opt " " u[l] " " s[k] " " comps
          }
        }
        types = uris = suites = comps = signed = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0; else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0; else if (key == "components") comps = $0
        else if (key == "signed-by") signed = $0; else if (key == "enabled") enabled = tolower($0) }
      END { flush() }' "$f"
  done
}
emit_sources > "$apt_dir/sources.list.new"
[ -s "$apt_dir/sources.list.new" ] || die "no Debian $codename suite found in /etc/apt/sources.list*"
mv "$apt_dir/sources.list.new" "$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State=$apt_dir/state"
  -o "Dir::Cache=$apt_dir/cache"
  -o APT::Sandbox::User=root
)
# The lists are refreshed once a day (a security update changes the key and so
# rebuilds the SDK; between refreshes a warm run needs no network at all).
if [ -z "$(find "$apt_dir/state/lists" -maxdepth 1 -name '*Sources*' -mmin -1440 2>/dev/null | head -1)" ]; then
  log "apt-get update (private lists in $apt_dir)"
  apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of the deb-src lists failed"
fi

# Every version of each source package the lists offer, newest first. The
# newest is fetched; if the registry cannot serve it (a security suite whose
# pool lags its lists does happen) the next one is, so the key hashes the whole
# list (known without downloading anything) and fetch() records what it took.
declare -A versions
for p in "${sources[@]}"; do
  v=$(apt-cache "${apt_opts[@]}" showsrc --only-source "$p" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -rV -u | tr '\n' ' ')
  [ -n "$v" ] || die "no source package $p in $apt_dir/sources.list"
  versions[$p]=$v
done

key_input() {
  for p in "${sources[@]}"; do echo "source $p ${versions[$p]}"; done
  for p in "${header_packages[@]}"; do echo "headers $p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo missing)"; done
  echo "compiler $($cxx --version | head -1) $(dpkg-query -W -f='${Version}' g++-mingw-w64-x86-64-posix mingw-w64-x86-64-dev)"
  sha256sum < "$script"
  sha256sum < "$toolchain"
}
key=$(key_input | sha256sum | cut -c1-16)
sdk=$root/$key
if [ -f "$sdk/COMPLETE" ]; then
  log "reusing $sdk"
  echo "$sdk"
  exit 0
fi
for p in "${header_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    die "$p is not installed: run installer/deps.sh windows"
done

# One build per key at a time: a second caller waits, then reuses the result.
exec 9> "$root/$key.lock"
if ! flock -n 9; then
  log "another sdk.sh is building $key; waiting for it"
  flock 9
fi
if [ -f "$sdk/COMPLETE" ]; then
  log "reusing $sdk"
  echo "$sdk"
  exit 0
fi
rm -rf "$root/$key".tmp.*   # a failed build's leftovers (kept for its log)
work=$(mktemp -d "$root/$key.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/sdk   # built here, renamed to $sdk when complete
src=$work/src
mkdir -p "$prefix"/{include,lib/cmake,lib/pkgconfig} "$src"
key_input > "$prefix/KEY"
: > "$prefix/BUILD-TIMES"
total_start=$SECONDS

# Runs one build step and records how long it took. The step runs in the
# background and is waited for: in a `cmd || handler` list bash would ignore
# `set -e` inside it, and a failing command in the middle would go unnoticed.
step() {
  local name=$1 start=$SECONDS pid
  shift
  log "building $name"
  "$@" > "$work/$name.log" 2>&1 &
  pid=$!
  if ! wait "$pid"; then
    tail -n 40 "$work/$name.log" >&2
    die "$name failed (log: $work/$name.log; the build is kept in $work until the next run)"
  fi
  printf '%-10s %4ds\n' "$name" $((SECONDS - start)) | tee -a "$prefix/BUILD-TIMES" >&2
}

declare -A fetched
fetch() {  # fetch <source package>: unpacked (Debian patches applied) under $src/<package>
  local p=$1 v d
  mkdir -p "$src/$p.dl"
  for v in ${versions[$p]}; do
    if (cd "$src/$p.dl" && apt-get "${apt_opts[@]}" -qq source --only-source "$p=$v" >/dev/null 2>&1); then
      d=$(find "$src/$p.dl" -maxdepth 1 -mindepth 1 -type d | head -1)
      [ -n "$d" ] || die "apt-get source $p=$v unpacked nothing"
      mv "$d" "$src/$p"
      rm -rf "$src/$p.dl"
      echo "$p $v" >> "$prefix/VERSIONS"
      fetched[$p]=$v
      return 0
    fi
    log "$p $v could not be fetched; trying an older version"
    rm -rf "${src:?}/$p.dl"/*
  done
  die "no version of source package $p could be fetched"
}

# CMake builds use the project's own toolchain file, pointed at the SDK being built.
cmake_build() {  # cmake_build <source dir> <build dir> [cache options...]
  local s=$1 b=$2
  shift 2
  cmake -S "$s" -B "$b" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DVIDKEEP_WIN_SDK="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF "$@"
  nice cmake --build "$b" -j "$jobs"
  cmake --install "$b"
}

# Header-only packages: symlinks to the installed headers, and copies of their
# (relocatable) CMake files so they resolve to $sdk/include, not /usr/include.
build_headers() {
  ln -s /usr/include/boost /usr/include/nlohmann /usr/include/CLI /usr/include/catch2 "$prefix/include/"
  mkdir -p "$prefix/share/cmake"
  cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$prefix/share/cmake/"
  cp -r /usr/lib/cmake/Catch2 "$prefix/lib/cmake/"
  # ...without Catch2WithMain, a library compiled for Linux (vidkeep has its own main).
  rm -f "$prefix/lib/cmake/Catch2/Catch2Targets-"*.cmake
}

# SQLite: the amalgamation made from Debian's tree (patches applied) with the
# native tools (needs tclsh), then compiled with Debian's options plus FTS5.
build_sqlite() {
  local b=$work/sqlite
  mkdir -p "$b"
  (cd "$b" && CC=gcc "$src/sqlite3/configure" --disable-tcl >/dev/null && nice make sqlite3.c)
  nice "$cc" -O2 -fno-strict-aliasing \
    -DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_COLUMN_METADATA \
    -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS5 \
    -DSQLITE_ENABLE_RTREE=1 -DSQLITE_SOUNDEX=1 -DSQLITE_ENABLE_UNLOCK_NOTIFY \
    -DSQLITE_OMIT_LOOKASIDE=1 -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_ALLOW_ROWID_IN_VIEW \
    -DSQLITE_ENABLE_UPDATE_DELETE_LIMIT=1 -DSQLITE_ENABLE_JSON1 -DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
    -DSQLITE_THREADSAFE=1 -DSQLITE_USE_URI=1 -DSQLITE_MAX_SCHEMA_RETRY=25 \
    -DSQLITE_ENABLE_STMTVTAB -DSQLITE_MAX_VARIABLE_NUMBER=250000 \
    -c "$b/sqlite3.c" -o "$b/sqlite3.o"
  $triple-ar rcs "$prefix/lib/libsqlite3.a" "$b/sqlite3.o"
  cp "$b/sqlite3.h" "$src/sqlite3/src/sqlite3ext.h" "$prefix/include/"
  local v=${fetched[sqlite3]%%-*}
  printf '%s\n' 'prefix=${pcfiledir}/../..' 'libdir=${prefix}/lib' 'includedir=${prefix}/include' '' \
    'Name: SQLite' 'Description: SQL database engine' "Version: $v" \
    'Libs: -L${libdir} -lsqlite3' 'Cflags: -I${includedir}' > "$prefix/lib/pkgconfig/sqlite3.pc"
}

build_sqlitecpp() {
  cmake_build "$src/sqlitecpp" "$work/sqlitecpp" -DSQLITECPP_INTERNAL_SQLITE=OFF \
    -DSQLITECPP_RUN_CPPLINT=OFF -DSQLITECPP_RUN_CPPCHECK=OFF -DSQLITECPP_BUILD_TESTS=OFF \
    -DSQLITECPP_BUILD_EXAMPLES=OFF -DSQLITECPP_USE_STACK_PROTECTION=OFF
}

build_fmt() {
  cmake_build "$src/fmtlib" "$work/fmt" -DFMT_DOC=OFF -DFMT_TEST=OFF -DFMT_FUZZ=OFF
}

# spdlog compiled against that fmt (Debian's spdlog uses the external fmt).
build_spdlog() {
  cmake_build "$src/spdlog" "$work/spdlog" -DSPDLOG_FMT_EXTERNAL=ON -DSPDLOG_BUILD_EXAMPLE=OFF \
    -DSPDLOG_BUILD_TESTS=OFF -DSPDLOG_BUILD_BENCH=OFF -DSPDLOG_INSTALL=ON
}

# Boost.URL: its one source TU, from the installed Boost headers.
build_boost_url() {
  local b=$work/boost-url
  mkdir -p "$b" "$prefix/lib/cmake/Boost-1.81.0"
  echo '#include <boost/url/src.hpp>' > "$b/url.cpp"
  nice "$cxx" -std=c++20 -O2 -DBOOST_URL_STATIC_LINK -DBOOST_URL_NO_LIB -D_WIN32_WINNT=0x0A00 \
    -I"$prefix/include" -c "$b/url.cpp" -o "$b/url.o"
  $triple-ar rcs "$prefix/lib/libboost_url.a" "$b/url.o"
  cat > "$prefix/lib/cmake/Boost-1.81.0/BoostConfigVersion.cmake" <<'CMAKE'
set(PACKAGE_VERSION 1.81.0)
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
CMAKE
  cat > "$prefix/lib/cmake/Boost-1.81.0/BoostConfig.cmake" <<'CMAKE'
# Boost for the Windows SDK (installer/windows/sdk.sh): the installed headers
# (include/boost is a symlink) and Boost.URL compiled from them. Only the
# components below exist.
get_filename_component(_vidkeep_boost_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET Boost::headers)
  add_library(Boost::headers INTERFACE IMPORTED)
  set_target_properties(Boost::headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_vidkeep_boost_prefix}/include")
  add_library(Boost::url STATIC IMPORTED)
  set_target_properties(Boost::url PROPERTIES
    IMPORTED_LOCATION "${_vidkeep_boost_prefix}/lib/libboost_url.a"
    INTERFACE_LINK_LIBRARIES Boost::headers
    INTERFACE_COMPILE_DEFINITIONS "BOOST_URL_STATIC_LINK;BOOST_URL_NO_LIB")
endif()
set(Boost_VERSION 1.81.0)
set(Boost_FOUND TRUE)
foreach(_vidkeep_c IN LISTS Boost_FIND_COMPONENTS)
  if(_vidkeep_c STREQUAL "url" OR _vidkeep_c STREQUAL "headers")
    set(Boost_${_vidkeep_c}_FOUND TRUE)
  else()
    set(Boost_${_vidkeep_c}_FOUND FALSE)
    if(Boost_FIND_REQUIRED_${_vidkeep_c})
      set(Boost_FOUND FALSE)
      set(Boost_NOT_FOUND_MESSAGE "the vidkeep Windows SDK has no Boost component ${_vidkeep_c}")
    endif()
  endif()
endforeach()
CMAKE
}

# zlib: its library sources compiled directly (Debian's tree has no win32
# makefile, and its configure does not cross-build for MinGW).
build_zlib() {
  local b=$work/zlib f
  mkdir -p "$b"
  for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate \
           inftrees trees uncompr zutil; do
    nice "$cc" -O2 -c "$src/zlib/$f.c" -o "$b/$f.o"
  done
  $triple-ar rcs "$prefix/lib/libz.a" "$b"/*.o
  cp "$src/zlib/zlib.h" "$src/zlib/zconf.h" "$prefix/include/"
  local v=${fetched[zlib]#*:}
  printf '%s\n' 'prefix=${pcfiledir}/../..' 'libdir=${prefix}/lib' 'includedir=${prefix}/include' '' \
    'Name: zlib' 'Description: zlib compression library' "Version: ${v%%.dfsg*}" \
    'Libs: -L${libdir} -lz' 'Cflags: -I${includedir}' > "$prefix/lib/pkgconfig/zlib.pc"
}

# OpenSSL 3.0: libraries and headers only (no apps, tests, docs or DLLs).
build_openssl() {
  local b=$work/openssl
  mkdir -p "$b"
  (cd "$b" && CC=$cc CXX=$cxx AR=$triple-ar RANLIB=$triple-ranlib RC=$triple-windres \
    perl "$src/openssl/Configure" mingw64 no-shared no-tests \
      --prefix="$prefix" --libdir=lib --openssldir=/vidkeep-no-openssldir &&
   nice make -j "$jobs" build_libs && make install_dev)
}

# FFmpeg: only what host/media_probe.cpp opens (its format whitelist), decodes
# (video thumbnails, the audio stream info) and encodes (MJPEG thumbnails);
# no programs, devices, filters, network or external libraries but zlib.
build_ffmpeg() {
  local b=$work/ffmpeg
  mkdir -p "$b"
  (cd "$b" && PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig "$src/ffmpeg/configure" --prefix="$prefix" \
      --target-os=mingw32 --arch=x86_64 --enable-cross-compile --cross-prefix=$triple- \
      --cc="$cc" --cxx="$cxx" --pkg-config=pkg-config --enable-zlib \
      --extra-cflags="-I$prefix/include" --extra-ldflags="-L$prefix/lib" \
      --enable-static --disable-shared --disable-programs --disable-doc \
      --disable-autodetect --disable-network --disable-everything --disable-x86asm \
      --disable-avdevice --disable-avfilter --disable-swresample --disable-postproc \
      --disable-debug \
      --enable-demuxer=mov,matroska,avi,flv,mpegts,ogg,gif,image_jpeg_pipe,image_png_pipe,image_webp_pipe \
      --enable-decoder=h264,hevc,vp8,vp9,mpeg4,h263,mjpeg,png,gif,webp,theora,flv,aac,mp3,vorbis,flac \
      --enable-parser=h264,hevc,vp8,vp9,mpeg4video,mjpeg,png,gif,webp,aac,mpegaudio,vorbis,opus,flac,av1 \
      --enable-encoder=mjpeg 2>&1 || { tail -n 30 "$b/ffbuild/config.log"; exit 1; }
   nice make -j "$jobs" && make install)
}

# pkg-config files: relocatable (the SDK is built under a temporary name), and
# static-only, so the private libraries and requirements are the public ones.
fix_pkgconfig() {
  local pc
  for pc in "$prefix"/lib/pkgconfig/*.pc; do
    awk -v p="$prefix" '
      /^prefix=/ { print "prefix=${pcfiledir}/../.."; next }
      { gsub(p, "${prefix}") }
      /^Libs.private:/ { sub(/^Libs.private:/, ""); libs_private = libs_private $0; next }
      /^Requires.private:/ { sub(/^Requires.private:/, ""); req_private = req_private $0; next }
      { lines[++n] = $0 }
      END {
        for (i = 1; i <= n; i++) {
          l = lines[i]
          if (l ~ /^Libs:/) l = l libs_private
          if (l ~ /^Requires:/ && req_private != "") l = l (l ~ /: *$/ ? "" : ",") req_private
          print l
        }
      }' "$pc" > "$pc.new"
    mv "$pc.new" "$pc"
  done
}

# The SDK links and runs: installer/windows/smoke uses every library in it, is
# built with the project's toolchain file and run under Wine.
smoke() {
  cmake -S "$(dirname "$script")/smoke" -B "$work/smoke" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DVIDKEEP_WIN_SDK="$prefix" -DCMAKE_BUILD_TYPE=Release
  nice cmake --build "$work/smoke" -j "$jobs"
  local wineprefix
  wineprefix=$("$(dirname "$script")/wine-prefix.sh")
  WINEPREFIX=$wineprefix WINEDEBUG=-all wine "$work/smoke/sdk_smoke.exe" > "$work/smoke/out.txt"
  cat "$work/smoke/out.txt"
  grep -q '^sdk smoke ok' "$work/smoke/out.txt"  # (Windows text mode ends it with \r)
}

for p in "${sources[@]}"; do fetch "$p"; done
step headers build_headers
step sqlite build_sqlite
step sqlitecpp build_sqlitecpp
step fmt build_fmt
step spdlog build_spdlog
step boost-url build_boost_url
step zlib build_zlib
step openssl build_openssl
step ffmpeg build_ffmpeg
step pkgconfig fix_pkgconfig
step smoke smoke
printf '%-10s %4ds\n' total $((SECONDS - total_start)) | tee -a "$prefix/BUILD-TIMES" >&2

# Complete: move it into place (a concurrent build of the same key may have won).
touch "$prefix/COMPLETE"
if ! mv -T "$prefix" "$sdk" 2>/dev/null; then
  [ -f "$sdk/COMPLETE" ] || die "cannot move the SDK to $sdk"
fi
log "SDK ready: $sdk"
echo "$sdk"
exit 0
}
