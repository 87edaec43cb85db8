# Cross build for 64-bit Windows with Debian's MinGW-w64 (GCC 12, posix
# threads: std::thread, std::jthread and coroutines work) against the
# dependency SDK built by installer/windows/sdk.sh:
#   cmake -S . -B build-win -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#         -DVIDKEEP_WIN_SDK="$(installer/windows/sdk.sh)"
# (installer/windows/build.sh does all of it). The SDK path may also come
# from the VIDKEEP_WIN_SDK environment variable.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(VIDKEEP_WIN_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${VIDKEEP_WIN_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${VIDKEEP_WIN_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${VIDKEEP_WIN_TRIPLE}-windres)
set(CMAKE_AR ${VIDKEEP_WIN_TRIPLE}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${VIDKEEP_WIN_TRIPLE}-gcc-ranlib-posix CACHE FILEPATH "")

if(NOT VIDKEEP_WIN_SDK AND DEFINED ENV{VIDKEEP_WIN_SDK})
  set(VIDKEEP_WIN_SDK "$ENV{VIDKEEP_WIN_SDK}")
endif()
if(NOT VIDKEEP_WIN_SDK OR NOT IS_DIRECTORY "${VIDKEEP_WIN_SDK}/lib")
  message(FATAL_ERROR "VIDKEEP_WIN_SDK must name the SDK that installer/windows/sdk.sh prints")
endif()
set(VIDKEEP_WIN_SDK "${VIDKEEP_WIN_SDK}" CACHE PATH "Windows dependency SDK (installer/windows/sdk.sh)")
# try_compile projects get the SDK too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VIDKEEP_WIN_SDK)

# Libraries, headers and packages only from the SDK and the MinGW sysroot,
# never from the Linux /usr (whose headers would compile, wrongly, for Linux);
# programs (pkg-config, wine) from the machine.
set(CMAKE_FIND_ROOT_PATH "${VIDKEEP_WIN_SDK}" /usr/${VIDKEEP_WIN_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (FFmpeg, fmt) reads only the SDK's .pc files.
set(ENV{PKG_CONFIG_LIBDIR} "${VIDKEEP_WIN_SDK}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# cli.cpp and http_client.cpp exceed COFF's 2^16 sections per object.
set(CMAKE_C_FLAGS_INIT "-Wa,-mbig-obj")
set(CMAKE_CXX_FLAGS_INIT "-Wa,-mbig-obj")
# At -O0 http_client.cpp's object is still too big for the assembler (and its
# coroutine frames for the stack): Debug builds use -O1.
set(CMAKE_C_FLAGS_DEBUG_INIT "-O1 -g")
set(CMAKE_CXX_FLAGS_DEBUG_INIT "-O1 -g")
# One self-contained .exe: libgcc, libstdc++ and winpthread linked in, so the
# browser can start it from any directory without a DLL beside it.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Test executables (catch_discover_tests, ctest) run under Wine, in a private
# prefix under the cache (installer/windows/wine-prefix.sh creates it).
if(NOT DEFINED VIDKEEP_WINEPREFIX)
  if(DEFINED ENV{VIDKEEP_WINEPREFIX})
    set(VIDKEEP_WINEPREFIX "$ENV{VIDKEEP_WINEPREFIX}")
  elseif(DEFINED ENV{VIDKEEP_CACHE})
    set(VIDKEEP_WINEPREFIX "$ENV{VIDKEEP_CACHE}/wine")
  elseif(DEFINED ENV{XDG_CACHE_HOME})
    set(VIDKEEP_WINEPREFIX "$ENV{XDG_CACHE_HOME}/vidkeep/wine")
  else()
    set(VIDKEEP_WINEPREFIX "$ENV{HOME}/.cache/vidkeep/wine")
  endif()
endif()
set(VIDKEEP_WINEPREFIX "${VIDKEEP_WINEPREFIX}" CACHE PATH "Wine prefix the tests run in")
find_program(VIDKEEP_WINE NAMES wine64 wine PATHS /usr/lib/wine)
if(VIDKEEP_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      /usr/bin/env WINEPREFIX=${VIDKEEP_WINEPREFIX} WINEDEBUG=-all ${VIDKEEP_WINE})
endif()
