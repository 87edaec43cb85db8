// registration.h on Windows: the browsers find a native messaging host
// through a registry key whose default value is the manifest's full path
// (docs/windows.md, "Registration"). Always the 64-bit view (KEY_WOW64_64KEY):
// what 64-bit browsers read first, whatever this process is.
#include "registration.h"

#include <windows.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include "caller.h"
#include "config.h"
#include "file_io.h"
#include "manifests.h"
#include "platform.h"
#include "subprocess.h"
#include "win32_text.h"

namespace vidkeep {

const bool kRegistryRegistration = true;

const std::vector<RegistryEntry>& RegistryEntries() {
  static const std::vector<RegistryEntry> entries = {
      {"chrome", BrowserFamily::kChromium, "Google\\Chrome\\NativeMessagingHosts\\org.vidkeep.host"},
      {"chromium", BrowserFamily::kChromium, "Chromium\\NativeMessagingHosts\\org.vidkeep.host"},
      {"edge", BrowserFamily::kChromium, "Microsoft\\Edge\\NativeMessagingHosts\\org.vidkeep.host"},
      {"brave", BrowserFamily::kChromium, "BraveSoftware\\Brave-Browser\\NativeMessagingHosts\\org.vidkeep.host"},
      {"firefox", BrowserFamily::kFirefox, "Mozilla\\NativeMessagingHosts\\org.vidkeep.host"},
  };
  return entries;
}

namespace {

constexpr const char* kReceiptName = "receipt.txt";

std::string Native(const std::string& path) { return Utf8Path(FsPath(path).make_preferred()); }

std::string ParentKey(const std::string& key) {
  const auto slash = key.rfind('\\');
  return slash == std::string::npos ? std::string() : key.substr(0, slash);
}

// The default value of `key` under `hive` in `view`; nullopt when absent.
std::optional<std::string> ReadDefault(HKEY hive, const std::string& key, REGSAM view) {
  HKEY h = nullptr;
  if (::RegOpenKeyExW(hive, Widen(key).c_str(), 0, KEY_QUERY_VALUE | view, &h) != ERROR_SUCCESS)
    return std::nullopt;
  wchar_t buffer[4096];
  DWORD size = sizeof buffer - sizeof(wchar_t);
  DWORD type = 0;
  const LSTATUS rc = ::RegQueryValueExW(h, nullptr, nullptr, &type, reinterpret_cast<BYTE*>(buffer), &size);
  ::RegCloseKey(h);
  if (rc != ERROR_SUCCESS || (type != REG_SZ && type != REG_EXPAND_SZ)) return std::string();
  std::wstring value(buffer, size / sizeof(wchar_t));
  while (!value.empty() && value.back() == L'\0') value.pop_back();
  return Narrow(value);
}

std::optional<DWORD> ReadDword(HKEY hive, const std::string& key, const std::string& name, REGSAM view) {
  DWORD value = 0, size = sizeof value;
  if (::RegGetValueW(hive, Widen(key).c_str(), Widen(name).c_str(), RRF_RT_REG_DWORD | (view == KEY_WOW64_32KEY ? RRF_SUBKEY_WOW6432KEY : RRF_SUBKEY_WOW6464KEY),
                     nullptr, &value, &size) != ERROR_SUCCESS)
    return std::nullopt;
  return value;
}

// Every string value of `key` (a policy list such as NativeMessagingBlocklist
// is a key with values "1", "2", ...).
std::vector<std::string> ReadStringValues(HKEY hive, const std::string& key, REGSAM view) {
  std::vector<std::string> out;
  HKEY h = nullptr;
  if (::RegOpenKeyExW(hive, Widen(key).c_str(), 0, KEY_QUERY_VALUE | view, &h) != ERROR_SUCCESS) return out;
  for (DWORD i = 0;; ++i) {
    wchar_t name[256], data[1024];
    DWORD name_size = 256, data_size = sizeof data - sizeof(wchar_t), type = 0;
    if (::RegEnumValueW(h, i, name, &name_size, nullptr, &type, reinterpret_cast<BYTE*>(data), &data_size) !=
        ERROR_SUCCESS)
      break;
    if (type != REG_SZ) continue;
    std::wstring value(data, data_size / sizeof(wchar_t));
    while (!value.empty() && value.back() == L'\0') value.pop_back();
    out.push_back(Narrow(value));
  }
  ::RegCloseKey(h);
  return out;
}

bool KeyIsEmpty(const std::string& key) {
  HKEY h = nullptr;
  if (::RegOpenKeyExW(HKEY_CURRENT_USER, Widen(key).c_str(), 0, KEY_READ | KEY_WOW64_64KEY, &h) != ERROR_SUCCESS)
    return false;
  DWORD subkeys = 0, values = 0;
  const bool ok = ::RegQueryInfoKeyW(h, nullptr, nullptr, nullptr, &subkeys, nullptr, nullptr, &values, nullptr,
                                     nullptr, nullptr, nullptr) == ERROR_SUCCESS;
  ::RegCloseKey(h);
  return ok && subkeys == 0 && values == 0;
}

// Creates `key` under HKCU level by level; the first level that did not
// exist before (everything below it is ours too), or "" if none.
Result<std::string> CreateKey(const std::string& key, const std::string& value) {
  std::string created, path;
  std::size_t start = 0;
  HKEY h = nullptr;
  while (true) {
    const auto slash = key.find('\\', start);
    path = key.substr(0, slash);
    DWORD disposition = 0;
    if (h) ::RegCloseKey(h);
    h = nullptr;
    const LSTATUS rc = ::RegCreateKeyExW(HKEY_CURRENT_USER, Widen(path).c_str(), 0, nullptr, 0,
                                         KEY_WRITE | KEY_WOW64_64KEY, nullptr, &h, &disposition);
    if (rc != ERROR_SUCCESS)
      return Status::Unavailable("cannot create HKCU\\" + path + ": " + WindowsErrorText(static_cast<DWORD>(rc)));
    if (disposition == REG_CREATED_NEW_KEY && created.empty()) created = path;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const std::wstring wide = Widen(value);
  const LSTATUS rc = ::RegSetValueExW(h, nullptr, 0, REG_SZ, reinterpret_cast<const BYTE*>(wide.c_str()),
                                      static_cast<DWORD>((wide.size() + 1) * sizeof(wchar_t)));
  ::RegCloseKey(h);
  if (rc != ERROR_SUCCESS)
    return Status::Unavailable("cannot set HKCU\\" + key + ": " + WindowsErrorText(static_cast<DWORD>(rc)));
  return created;
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(FsPath(path), std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Unavailable("cannot write " + path);
  return {};
}

std::string DefaultManifestDir() {
  auto paths = PlatformLocations();
  return paths.ok() ? paths->data_dir + "/manifests" : std::string();
}

// The host's own config names the install's Chromium ids in
// allowed_callers, as install.sh writes it on Linux: the host refuses a
// caller its config does not allow (the development id needs `dev_ids`).
// Returns the callers it added, for the receipt.
Result<std::string> HostConfigPath(const UserInstall& install) {
  if (!install.config_path.empty()) return install.config_path;
  auto paths = Paths::FromEnvironment();
  if (!paths.ok()) return paths.status();
  return paths->user_config;
}

Result<std::vector<std::string>> AllowCallers(const AllowedExtensions& ids, const std::string& config) {
  std::vector<std::string> add;
  for (const auto& origin : ids.chromium_origins)
    if (origin != kDevChromiumCaller) add.push_back(origin);
  if (add.empty()) return add;
  nlohmann::json doc = nlohmann::json::object();
  if (std::ifstream in(FsPath(config), std::ios::binary); in) {
    doc = nlohmann::json::parse(in, nullptr, false);
    if (!doc.is_object()) return Status::BadRequest(config + " is not a JSON object; add " + add[0] + " to its allowed_callers by hand");
  }
  auto& callers = doc["allowed_callers"];
  if (!callers.is_array()) callers = nlohmann::json::array();
  std::vector<std::string> added;
  for (const auto& origin : add) {
    if (std::find(callers.begin(), callers.end(), origin) != callers.end()) continue;
    callers.push_back(origin);
    added.push_back(origin);
  }
  if (added.empty()) return added;
  if (Status s = MakePrivateDirs(Utf8Path(FsPath(config).parent_path())); !s.ok()) return s;
  if (Status s = WriteText(config, doc.dump(2) + "\n"); !s.ok()) return s;
  return added;
}

// Takes back what AllowCallers added (the rest of the file stays).
void DisallowCallers(const std::vector<std::string>& added, const std::string& config) {
  if (added.empty()) return;
  std::ifstream in(FsPath(config), std::ios::binary);
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  in.close();
  if (!doc.is_object() || !doc.contains("allowed_callers") || !doc["allowed_callers"].is_array()) return;
  auto& callers = doc["allowed_callers"];
  for (const auto& origin : added) callers.erase(std::remove(callers.begin(), callers.end(), origin), callers.end());
  if (callers.empty()) doc.erase("allowed_callers");
  if (doc.empty()) RemoveFile(config);
  else WriteText(config, doc.dump(2) + "\n");
}

std::string DefaultHostPath() {
  const std::string self = SelfExecutable();
  return self.empty() ? std::string() : Utf8Path(FsPath(self).parent_path() / HostFileName());
}

}  // namespace

Status InstallForUser(const UserInstall& install, std::ostream& out) {
  auto ids = CollectExtensionIds(install.extension_ids, install.no_dev_id);
  if (!ids.ok()) return ids.status();
  const std::string dir = install.manifest_dir.empty() ? DefaultManifestDir() : install.manifest_dir;
  const std::string host = Native(install.host_path.empty() ? DefaultHostPath() : install.host_path);
  if (dir.empty() || host.empty()) return Status::Unavailable("cannot tell where to install (no LOCALAPPDATA?)");
  if (auto info = StatPath(host); !info || !info->regular)
    return Status::NotFound("no host binary at " + host);
  if (Status s = MakePrivateDirs(dir); !s.ok()) return s;

  // A receipt from an earlier install is kept: what that install created is
  // still ours to remove.
  std::string receipt;
  {
    std::ifstream in(FsPath(dir + "/" + kReceiptName), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    receipt = text.str();
  }
  auto note = [&](const std::string& line) {
    if (receipt.find(line + "\n") == std::string::npos) receipt += line + "\n";
  };
  for (const auto family : {BrowserFamily::kChromium, BrowserFamily::kFirefox}) {
    const bool chromium = family == BrowserFamily::kChromium;
    if ((chromium ? ids->chromium_origins : ids->gecko_ids).empty()) {
      out << (chromium ? "Chromium" : "Firefox") << " browsers: no extension id to allow; skipped\n";
      continue;
    }
    const std::string manifest = Native(dir + (chromium ? "/chromium.json" : "/firefox.json"));
    if (Status s = WriteText(manifest, RenderManifest(family, host, *ids)); !s.ok()) return s;
    note("file\t" + manifest);
    for (const auto& entry : RegistryEntries()) {
      if (entry.family != family) continue;
      const std::string key = install.registry_base + "\\" + entry.key;
      auto created = CreateKey(key, manifest);
      if (!created.ok()) return created.status();
      if (!created->empty()) note("created\t" + *created);
      note("key\t" + key + "\t" + manifest);
      out << entry.browser << ": HKCU\\" << key << " -> " << manifest << "\n";
    }
  }
  auto config = HostConfigPath(install);
  if (!config.ok()) return config.status();
  auto added = AllowCallers(*ids, *config);
  if (!added.ok()) return added.status();
  for (const auto& origin : *added) {
    note("caller\t" + origin);
    out << "config: allowed_callers += " << origin << "\n";
  }
  return WriteText(dir + "/" + kReceiptName, receipt);
}

Status UninstallForUser(const UserInstall& install, std::ostream& out) {
  const std::string dir = install.manifest_dir.empty() ? DefaultManifestDir() : install.manifest_dir;
  const std::string receipt_path = dir + "/" + kReceiptName;
  std::ifstream in(FsPath(receipt_path), std::ios::binary);
  if (!in) {
    out << "nothing to uninstall (no " << receipt_path << ")\n";
    return {};
  }
  std::vector<std::string> created, files, callers;
  std::vector<std::pair<std::string, std::string>> keys;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    for (std::size_t start = 0;;) {
      const auto tab = line.find('\t', start);
      f.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (f[0] == "key" && f.size() == 3) keys.emplace_back(f[1], f[2]);
    if (f[0] == "created" && f.size() == 2) created.push_back(f[1]);
    if (f[0] == "file" && f.size() == 2) files.push_back(f[1]);
    if (f[0] == "caller" && f.size() == 2) callers.push_back(f[1]);
  }
  in.close();
  Status result;
  for (const auto& [key, manifest] : keys) {
    const auto value = ReadDefault(HKEY_CURRENT_USER, key, KEY_WOW64_64KEY);
    if (!value) continue;
    if (*value != manifest) {
      out << "kept HKCU\\" << key << ": it now points at " << *value << ", not at ours\n";
      continue;
    }
    const LSTATUS rc = ::RegDeleteKeyExW(HKEY_CURRENT_USER, Widen(key).c_str(), KEY_WOW64_64KEY, 0);
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) {
      result = Status::Unavailable("cannot delete HKCU\\" + key + ": " + WindowsErrorText(static_cast<DWORD>(rc)));
      continue;
    }
    out << "removed HKCU\\" << key << "\n";
    // The parents install created, while nothing else lives in them.
    for (const auto& top : created) {
      if (!key.starts_with(top + "\\")) continue;
      for (std::string parent = ParentKey(key); parent.size() >= top.size(); parent = ParentKey(parent)) {
        if (!KeyIsEmpty(parent)) break;
        ::RegDeleteKeyExW(HKEY_CURRENT_USER, Widen(parent).c_str(), KEY_WOW64_64KEY, 0);
      }
    }
  }
  if (!result.ok()) return result;  // the receipt stays for another try
  if (auto config = HostConfigPath(install); config.ok()) DisallowCallers(callers, *config);
  for (const auto& file : files) RemoveFile(file);
  RemoveFile(receipt_path);
  std::error_code ec;
  std::filesystem::remove(FsPath(dir), ec);  // only if empty
  return {};
}

// ---------------------------------------------------------------- doctor ---

namespace {

struct Found {
  std::string where;     // "HKCU\\Software\\...\\org.vidkeep.host (64-bit view)"
  std::string manifest;  // the default value
  bool user = false;
};

// The policy keys of each Chromium browser (Firefox's policies live in its
// own policies.json or ADMX and do not restrict native messaging by name).
std::string PolicyKey(const std::string& browser) {
  if (browser == "chrome") return "Software\\Policies\\Google\\Chrome";
  if (browser == "chromium") return "Software\\Policies\\Chromium";
  if (browser == "edge") return "Software\\Policies\\Microsoft\\Edge";
  if (browser == "brave") return "Software\\Policies\\BraveSoftware\\Brave";
  return {};
}

}  // namespace

int RunRegistryDoctor(const std::vector<std::string>& args, std::ostream& out) {
  int timeout_ms = 5000;
  std::string base = "Software";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--timeout-ms" && i + 1 < args.size()) {
      timeout_ms = std::atoi(args[++i].c_str());
    } else if (args[i] == "--registry-base" && i + 1 < args.size()) {
      base = args[++i];
    } else {
      std::cerr << "vidkeep: doctor: unknown argument " << args[i] << "\n";
      return 2;
    }
  }
  int failures = 0;
  auto ok = [&](const std::string& what) { out << "  ok    " << what << "\n"; };
  auto note = [&](const std::string& what) { out << "  note  " << what << "\n"; };
  auto fail = [&](const std::string& what, const std::string& fix) {
    ++failures;
    out << "  FAIL  " << what << "\n        fix: " << fix << "\n";
  };
  const std::string reinstall = "vidkeep.exe install --user (or reinstall the MSI)";
  out << "vidkeep doctor (Windows registry)\n";

  std::string hello_host;
  std::string hello_caller;
  int registered = 0;
  for (const auto& entry : RegistryEntries()) {
    out << "\n" << entry.browser << "\n";
    // The order the browsers read them: HKCU, then HKLM; 64-bit, then 32-bit view.
    std::vector<Found> found;
    for (const auto& [hive, hive_name] : {std::pair{HKEY_CURRENT_USER, "HKCU"}, std::pair{HKEY_LOCAL_MACHINE, "HKLM"}})
      for (const auto& [view, view_name] : {std::pair{KEY_WOW64_64KEY, "64-bit"}, std::pair{KEY_WOW64_32KEY, "32-bit"}}) {
        const std::string key = base + "\\" + entry.key;
        if (auto value = ReadDefault(hive, key, view))
          found.push_back({fmt::format("{}\\{} ({} view)", hive_name, key, view_name), *value,
                           hive == HKEY_CURRENT_USER});
      }
    if (found.empty()) {
      note("not registered (no key under HKCU or HKLM)");
      continue;
    }
    ++registered;
    const std::string policy = PolicyKey(entry.browser);
    bool user_hosts_allowed = true;
    if (!policy.empty()) {
      for (HKEY hive : {HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER}) {
        if (auto v = ReadDword(hive, policy, "NativeMessagingUserLevelHosts", KEY_WOW64_64KEY); v && *v == 0)
          user_hosts_allowed = false;
        const auto block = ReadStringValues(hive, policy + "\\NativeMessagingBlocklist", KEY_WOW64_64KEY);
        const auto allow = ReadStringValues(hive, policy + "\\NativeMessagingAllowlist", KEY_WOW64_64KEY);
        const bool blocked = std::any_of(block.begin(), block.end(),
                                         [](const std::string& b) { return b == "*" || b == "org.vidkeep.host"; });
        const bool allowed = std::find(allow.begin(), allow.end(), "org.vidkeep.host") != allow.end();
        if (blocked && !allowed)
          fail(fmt::format("policy {}\\{}\\NativeMessagingBlocklist blocks org.vidkeep.host",
                           hive == HKEY_LOCAL_MACHINE ? "HKLM" : "HKCU", policy),
               "ask your administrator to add org.vidkeep.host to NativeMessagingAllowlist");
      }
    }
    const Found& first = found.front();
    const Found* used = &first;
    if (!user_hosts_allowed) {
      auto machine = std::find_if(found.begin(), found.end(), [](const Found& f) { return !f.user; });
      if (machine == found.end()) {
        fail("policy NativeMessagingUserLevelHosts is 0: the per-user registration is ignored",
             "install the per-machine MSI (msiexec /i vidkeep.msi)");
        continue;
      }
      used = &*machine;
    }
    ok(used->where + " -> " + used->manifest);
    std::ifstream in(FsPath(used->manifest), std::ios::binary);
    if (!in) {
      fail("the manifest " + used->manifest + " does not exist", reinstall);
      continue;
    }
    const auto doc = nlohmann::json::parse(in, nullptr, false);
    if (!doc.is_object() || doc.value("name", "") != "org.vidkeep.host" || doc.value("type", "") != "stdio") {
      fail(used->manifest + " is not a manifest of org.vidkeep.host", reinstall);
      continue;
    }
    const std::string list = entry.family == BrowserFamily::kChromium ? "allowed_origins" : "allowed_extensions";
    if (!doc.contains(list) || !doc[list].is_array() || doc[list].empty()) {
      fail(fmt::format("{}: \"{}\" is missing or empty", used->manifest, list), reinstall);
      continue;
    }
    const std::string host = doc.value("path", "");
    const auto info = host.empty() ? std::nullopt : StatPath(host);
    if (!FsPath(host).is_absolute() || !info || !info->executable) {
      fail(fmt::format("{}: the host binary \"{}\" does not exist", used->manifest, host), reinstall);
      continue;
    }
    ok("manifest " + used->manifest + ", host " + host);
    if (hello_host.empty()) {
      hello_host = host;
      hello_caller = doc[list][0].is_string() ? doc[list][0].get<std::string>() : std::string(kDevChromiumCaller);
    }
  }

  out << "\nhost\n";
  if (registered == 0) {
    fail("no browser has vidkeep registered", "run vidkeep.exe install --user, or install the MSI");
  } else if (!hello_host.empty()) {
    // As a browser starts it: the caller's origin as the first argument.
    const HelloResult hello = HelloRoundTrip({hello_host, hello_caller}, CurrentEnvironment(), timeout_ms);
    if (hello.ok)
      ok("hello: " + hello.detail);
    else
      fail("hello round trip with " + hello_host + ": " + hello.detail, "see the host log in %LOCALAPPDATA%\\vidkeep\\log");
  }
  out << "\n" << (failures == 0 ? "all checks passed" : fmt::format("{} check(s) failed", failures)) << "\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace vidkeep
