# Packages (issue 5): `cpack -G DEB` and `cpack -G TGZ` from a build folder.
# Both hold /usr/bin/vidkeep-host, /usr/bin/vidkeep, the host's system config
# /etc/vidkeep/config.json and the system-wide host manifest of every browser
# family (the same locations as installer/install.sh --system). Files under
# /etc are conffiles: `dpkg -r` keeps them, `dpkg --purge` removes them.
#
#   cmake -S . -B build-pkg -G Ninja -DCMAKE_BUILD_TYPE=Release \
#         [-DVIDKEEP_EXTENSION_IDS="<chromium id>;<gecko id>"] [-DVIDKEEP_NO_DEV_ID=ON]
#   cmake --build build-pkg && (cd build-pkg && cpack -G DEB && cpack -G TGZ)

set(VIDKEEP_EXTENSION_IDS "" CACHE STRING
    "Extension ids the packaged manifests and config allow, beyond the development ids (;-separated)")
option(VIDKEEP_NO_DEV_ID "Leave the public development ids out of the packaged manifests" OFF)
# A package for real extension ids (VIDKEEP_EXTENSION_IDS) trusts only them;
# one built without any is a development package: it lists the public
# development ids and its config says dev_ids (vidkeep doctor warns).
option(VIDKEEP_DEV_IDS "Also trust the public development ids when VIDKEEP_EXTENSION_IDS is set" OFF)

set(_vk_prefix /usr)
set(_vk_origins "")
set(_vk_geckos "")
set(_vk_callers "")
set(_vk_dev OFF)
if(NOT VIDKEEP_NO_DEV_ID AND (VIDKEEP_DEV_IDS OR VIDKEEP_EXTENSION_IDS STREQUAL ""))
  set(_vk_dev ON)
endif()
if(_vk_dev)
  list(APPEND _vk_origins "\"chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/\"")
  list(APPEND _vk_geckos "\"vidkeep@vidkeep.org\"")
endif()
foreach(_id IN LISTS VIDKEEP_EXTENSION_IDS)
  if(_id MATCHES "^[a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p][a-p]$")
    list(APPEND _vk_origins "\"chrome-extension://${_id}/\"")
    list(APPEND _vk_callers "\"chrome-extension://${_id}/\"")
  else()
    list(APPEND _vk_geckos "\"${_id}\"")
    list(APPEND _vk_callers "\"${_id}\"")
  endif()
endforeach()
list(JOIN _vk_origins ", " _vk_o)
list(JOIN _vk_geckos ", " _vk_g)
list(JOIN _vk_callers ", " _vk_c)
set(VIDKEEP_HOST_PATH "${_vk_prefix}/bin/vidkeep-host")
set(VIDKEEP_ALLOWED_ORIGINS "[${_vk_o}]")
set(VIDKEEP_ALLOWED_EXTENSIONS "[${_vk_g}]")
set(VIDKEEP_ALLOWED_CALLERS "[${_vk_c}]")
if(VIDKEEP_NO_DEV_ID)
  set(VIDKEEP_NO_DEV_ID_JSON true)
else()
  set(VIDKEEP_NO_DEV_ID_JSON false)
endif()

set(_vk_out "${CMAKE_BINARY_DIR}/packaging")
configure_file("${CMAKE_SOURCE_DIR}/manifests/chromium.json.in" "${_vk_out}/chromium/org.vidkeep.host.json" @ONLY)
configure_file("${CMAKE_SOURCE_DIR}/manifests/firefox.json.in" "${_vk_out}/firefox/org.vidkeep.host.json" @ONLY)
file(READ "${CMAKE_SOURCE_DIR}/manifests/config.json.in" _vk_config)
string(REPLACE "@VIDKEEP_NO_DEV_ID@" "${VIDKEEP_NO_DEV_ID_JSON}" _vk_config "${_vk_config}")
if(_vk_dev)
  string(REPLACE "@VIDKEEP_DEV_IDS@" "true" _vk_config "${_vk_config}")
else()
  string(REPLACE "@VIDKEEP_DEV_IDS@" "false" _vk_config "${_vk_config}")
endif()
string(CONFIGURE "${_vk_config}" _vk_config @ONLY)
file(WRITE "${_vk_out}/config.json" "${_vk_config}")

# System-wide manifest folders (installer/install.sh `locations`, scope system).
set(_vk_chromium_dirs
  /etc/opt/chrome/native-messaging-hosts        # Chrome, Brave, Opera
  /etc/chromium/native-messaging-hosts
  /etc/opt/edge/native-messaging-hosts
  /etc/opt/vivaldi/native-messaging-hosts
  /etc/opt/yandex/browser/native-messaging-hosts)
set(_vk_firefox_dirs
  /usr/lib/mozilla/native-messaging-hosts
  /usr/lib/librewolf/native-messaging-hosts
  /usr/lib/waterfox/native-messaging-hosts)
set(_vk_conffiles "/etc/vidkeep/config.json\n")
foreach(_dir IN LISTS _vk_chromium_dirs)
  install(FILES "${_vk_out}/chromium/org.vidkeep.host.json" DESTINATION "${_dir}" COMPONENT vidkeep)
  string(APPEND _vk_conffiles "${_dir}/org.vidkeep.host.json\n")
endforeach()
foreach(_dir IN LISTS _vk_firefox_dirs)
  install(FILES "${_vk_out}/firefox/org.vidkeep.host.json" DESTINATION "${_dir}" COMPONENT vidkeep)
endforeach()
install(FILES "${_vk_out}/config.json" DESTINATION /etc/vidkeep COMPONENT vidkeep)
file(WRITE "${_vk_out}/conffiles" "${_vk_conffiles}")

set(CPACK_PACKAGE_NAME vidkeep)
set(CPACK_PACKAGE_VENDOR vidkeep)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Keeps the videos generated in a chat app: native messaging host and CLI")
set(CPACK_PACKAGE_CONTACT "vidkeep maintainers <vidkeep@vidkeep.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX "${_vk_prefix}")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB TGZ)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${_vk_out}/conffiles")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "vidkeep-host is started by Chrome, Chromium, Edge, Brave, Vivaldi, Opera, Yandex,\nFirefox, LibreWolf and Waterfox (system-wide manifests) for the vidkeep extension;\nvidkeep lists, searches, exports and syncs the saved videos; vidkeep doctor checks the setup.")
# The archive mirrors the package: extract it at / (tar -C / -xzf ...).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY OFF)
set(CPACK_INSTALL_PREFIX "${_vk_prefix}")
include(CPack)
