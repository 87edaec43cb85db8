// `vidkeep install --user` / `uninstall --user` against the real registry of
// the test's Wine prefix (or Windows user), under a key of the test's own
// (HKCU\Software\vidkeep-test\<n>) so no browser's key is touched.
#include "registration.h"

#include <windows.h>

#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "caller.h"
#include "file_io.h"
#include "test_support.h"
#include "win32_text.h"

using namespace vidkeep;

namespace {

bool KeyExists(const std::string& key) {
  HKEY h = nullptr;
  if (::RegOpenKeyExW(HKEY_CURRENT_USER, Widen(key).c_str(), 0, KEY_READ | KEY_WOW64_64KEY, &h) != ERROR_SUCCESS)
    return false;
  ::RegCloseKey(h);
  return true;
}

std::string DefaultValue(const std::string& key) {
  wchar_t buffer[1024];
  DWORD size = sizeof buffer;
  if (::RegGetValueW(HKEY_CURRENT_USER, Widen(key).c_str(), nullptr, RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY, nullptr,
                     buffer, &size) != ERROR_SUCCESS)
    return {};
  return Narrow(buffer);
}

}  // namespace

TEST_CASE("registration (Windows): install --user writes a key per browser and the manifests; uninstall leaves nothing") {
  const std::string test_root = "Software\\vidkeep-test\\" + std::to_string(std::random_device{}() % 1000000000);
  // A key that was there before install must stay after uninstall.
  HKEY pre = nullptr;
  REQUIRE(::RegCreateKeyExW(HKEY_CURRENT_USER, Widen(test_root + "\\Google").c_str(), 0, nullptr, 0,
                            KEY_WRITE | KEY_WOW64_64KEY, nullptr, &pre, nullptr) == ERROR_SUCCESS);
  ::RegCloseKey(pre);

  const std::string dir = test::MakeTempDir("/tmp/vidkeep-registration-XXXXXX");
  const std::string host = dir + "/vidkeep-host.exe";
  { std::ofstream(FsPath(host)) << "MZ"; }
  UserInstall install;
  install.host_path = host;
  install.manifest_dir = dir + "/manifests";
  install.registry_base = test_root;
  install.extension_ids = {"abcdefghijklmnopabcdefghijklmnop"};
  install.config_path = dir + "/config/config.json";
  std::ostringstream log;
  REQUIRE(InstallForUser(install, log).ok());
  {
    // The host allows the install's own id (not the development one).
    std::ifstream in(FsPath(install.config_path));
    REQUIRE(in);
    CHECK(nlohmann::json::parse(in)["allowed_callers"] ==
          nlohmann::json::array({"chrome-extension://abcdefghijklmnopabcdefghijklmnop/"}));
  }

  for (const auto& entry : RegistryEntries()) {
    const std::string key = test_root + "\\" + entry.key;
    INFO(key);
    REQUIRE(KeyExists(key));
    const std::string manifest = DefaultValue(key);
    std::ifstream in(FsPath(manifest));
    REQUIRE(in);
    const auto doc = nlohmann::json::parse(in);
    CHECK(doc["name"] == "org.vidkeep.host");
    CHECK(FsPath(doc["path"].get<std::string>()) == FsPath(host).make_preferred());
    if (entry.family == BrowserFamily::kChromium)
      CHECK(doc["allowed_origins"] == nlohmann::json::array({kDevChromiumCaller,
                                                            "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"}));
    else
      CHECK(doc["allowed_extensions"] == nlohmann::json::array({kDevFirefoxCaller}));
  }
  // Installing twice changes nothing; uninstall still removes all of it.
  REQUIRE(InstallForUser(install, log).ok());

  REQUIRE(UninstallForUser(install, log).ok());
  for (const auto& entry : RegistryEntries()) CHECK_FALSE(KeyExists(test_root + "\\" + entry.key));
  CHECK_FALSE(KeyExists(test_root + "\\Google\\Chrome"));  // created by install: gone
  CHECK_FALSE(KeyExists(test_root + "\\Mozilla"));
  CHECK(KeyExists(test_root + "\\Google"));  // there before: kept
  CHECK_FALSE(std::filesystem::exists(FsPath(install.manifest_dir)));
  CHECK_FALSE(std::filesystem::exists(FsPath(install.config_path)));  // install made it: gone

  ::RegDeleteTreeW(HKEY_CURRENT_USER, Widen("Software\\vidkeep-test").c_str());
  std::filesystem::remove_all(FsPath(dir));
}

TEST_CASE("registration (Windows): uninstall keeps a key that no longer points at our manifest") {
  const std::string test_root = "Software\\vidkeep-test\\" + std::to_string(std::random_device{}() % 1000000000);
  const std::string dir = test::MakeTempDir("/tmp/vidkeep-registration-XXXXXX");
  const std::string host = dir + "/vidkeep-host.exe";
  { std::ofstream(FsPath(host)) << "MZ"; }
  UserInstall install;
  install.host_path = host;
  install.manifest_dir = dir + "/manifests";
  install.registry_base = test_root;
  std::ostringstream log;
  REQUIRE(InstallForUser(install, log).ok());
  const std::string edge = test_root + "\\" + "Microsoft\\Edge\\NativeMessagingHosts\\org.vidkeep.host";
  HKEY h = nullptr;
  REQUIRE(::RegOpenKeyExW(HKEY_CURRENT_USER, Widen(edge).c_str(), 0, KEY_WRITE | KEY_WOW64_64KEY, &h) == ERROR_SUCCESS);
  const std::wstring other = L"C:\\someone-else.json";
  ::RegSetValueExW(h, nullptr, 0, REG_SZ, reinterpret_cast<const BYTE*>(other.c_str()),
                   static_cast<DWORD>((other.size() + 1) * sizeof(wchar_t)));
  ::RegCloseKey(h);
  REQUIRE(UninstallForUser(install, log).ok());
  CHECK(DefaultValue(edge) == "C:\\someone-else.json");
  CHECK_FALSE(KeyExists(test_root + "\\Google\\Chrome\\NativeMessagingHosts\\org.vidkeep.host"));
  ::RegDeleteTreeW(HKEY_CURRENT_USER, Widen("Software\\vidkeep-test").c_str());
  std::filesystem::remove_all(FsPath(dir));
}
