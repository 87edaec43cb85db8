#include "doctor.h"


#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include "caller.h"
#include "config.h"
#include "file_io.h"
#include "env.h"
#include "framing.h"
#include "protocol.h"
#include "subprocess.h"

namespace vidkeep {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kHostName = "org.vidkeep.host";
constexpr const char* kInstaller = "installer/install.sh";

bool Exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool IsDir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> TorBundles(const std::string& home) {
  std::vector<std::string> bundles;
  auto consider = [&](const fs::path& dir) {
    if (IsDir((dir / "Browser/TorBrowser").string())) bundles.push_back(dir.string());
  };
  auto scan = [&](const fs::path& parent, bool any_name) {
    std::error_code ec;
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(parent, ec))
      if (any_name || entry.path().filename().string().starts_with("tor-browser")) found.push_back(entry.path());
    std::sort(found.begin(), found.end());
    return found;
  };
  for (const auto& arch : scan(home + "/.local/share/torbrowser/tbb", true))
    for (const auto& dir : scan(arch, false)) consider(dir);
  for (const char* parent : {"", "/Downloads", "/Desktop"})
    for (const auto& dir : scan(home + parent, false)) consider(dir);
  return bundles;
}

// Binaries that show a browser is installed (under the root), as the installer has them.
std::vector<std::string> BrowserBinaries(const std::string& browser) {
  static const std::map<std::string, std::vector<std::string>> kBinaries = {
      {"chrome", {"google-chrome", "google-chrome-stable", "/opt/google/chrome/chrome"}},
      {"chromium", {"chromium", "chromium-browser"}},
      {"edge", {"microsoft-edge", "microsoft-edge-stable", "/opt/microsoft/msedge/msedge"}},
      {"brave", {"brave-browser", "brave", "/opt/brave.com/brave/brave"}},
      {"vivaldi", {"vivaldi", "vivaldi-stable", "/opt/vivaldi/vivaldi"}},
      {"opera", {"opera", "/usr/lib/x86_64-linux-gnu/opera/opera"}},
      {"yandex", {"yandex-browser", "yandex-browser-stable", "/opt/yandex/browser/yandex-browser"}},
      {"firefox", {"firefox", "firefox-esr", "/snap/bin/firefox"}},
      {"librewolf", {"librewolf"}},
      {"waterfox", {"waterfox", "/opt/waterfox/waterfox"}}};
  std::vector<std::string> paths;
  auto it = kBinaries.find(browser);
  if (it == kBinaries.end()) return paths;
  for (const auto& name : it->second) {
    if (name.starts_with("/")) {
      paths.push_back(name);
    } else {
      for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/", "/snap/bin/"}) paths.push_back(dir + name);
    }
  }
  return paths;
}

std::string FlatpakApp(const std::string& browser) {
  if (browser == "flatpak-chromium") return "org.chromium.Chromium";
  if (browser == "flatpak-chrome") return "com.google.Chrome";
  if (browser == "flatpak-firefox") return "org.mozilla.firefox";
  return {};
}

const char* Label(const std::string& browser) {
  static const std::map<std::string, const char*> kLabels = {
      {"chrome", "Google Chrome"},         {"chromium", "Chromium"},
      {"edge", "Microsoft Edge"},          {"brave", "Brave"},
      {"vivaldi", "Vivaldi"},              {"opera", "Opera"},
      {"yandex", "Yandex Browser"},        {"firefox", "Firefox"},
      {"librewolf", "LibreWolf"},          {"waterfox", "Waterfox"},
      {"tor", "Tor Browser"},              {"flatpak-chromium", "Chromium (Flatpak)"},
      {"flatpak-chrome", "Google Chrome (Flatpak)"}, {"flatpak-firefox", "Firefox (Flatpak)"}};
  auto it = kLabels.find(browser);
  return it == kLabels.end() ? "?" : it->second;
}

// Chromium-family managed policy folders; the browsers without a documented
// one on Linux are absent.
std::vector<std::string> PolicyDirs(const std::string& browser, const std::string& root) {
  static const std::map<std::string, std::vector<std::string>> kDirs = {
      {"chrome", {"/etc/opt/chrome/policies/managed"}},
      {"chromium", {"/etc/chromium/policies/managed"}},
      {"edge", {"/etc/opt/edge/policies/managed"}},
      {"brave", {"/etc/brave/policies/managed", "/etc/opt/brave/policies/managed"}},
      {"vivaldi", {"/etc/opt/vivaldi/policies/managed"}},
      {"yandex", {"/etc/opt/yandex/browser/policies/managed"}}};
  std::vector<std::string> dirs;
  auto it = kDirs.find(browser);
  if (it != kDirs.end())
    for (const auto& d : it->second) dirs.push_back(root + d);
  return dirs;
}

std::vector<std::string> FirefoxPolicyFiles(const std::string& browser, const std::string& root) {
  std::vector<std::string> files;
  if (browser == "firefox" || browser == "flatpak-firefox") {
    for (const char* f : {"/etc/firefox/policies/policies.json", "/etc/firefox-esr/policies/policies.json",
                          "/usr/lib/firefox/distribution/policies.json",
                          "/usr/lib/firefox-esr/distribution/policies.json"})
      files.push_back(root + f);
  } else if (browser == "librewolf") {
    files = {root + "/etc/librewolf/policies/policies.json", root + "/usr/lib/librewolf/distribution/policies.json"};
  } else if (browser == "waterfox") {
    files = {root + "/usr/lib/waterfox/distribution/policies.json"};
  }
  return files;
}

bool ListHas(const json& doc, const char* key, const std::string& value) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return false;
  for (const auto& v : *it)
    if (v.is_string() && v.get<std::string>() == value) return true;
  return false;
}

bool ListHasPrefix(const json& doc, const char* key, const std::string& prefix) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return false;
  for (const auto& v : *it)
    if (v.is_string() && v.get<std::string>().starts_with(prefix)) return true;
  return false;
}

// Prints one check per line and counts failures.
class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}

  void Section(const std::string& title) { out_ << "\n" << title << "\n"; }
  void Ok(const std::string& what) { out_ << "  ok    " << what << "\n"; }
  void Note(const std::string& what) { out_ << "  note  " << what << "\n"; }
  // A risk that works but should not stay (does not fail the run).
  void Warn(const std::string& what, const std::string& fix) {
    out_ << "  WARN  " << what << "\n";
    out_ << "        fix: " << fix << "\n";
  }
  void Fail(const std::string& what, const std::string& fix) {
    ++failures_;
    out_ << "  FAIL  " << what << "\n";
    out_ << "        fix: " << fix << "\n";
  }
  int failures() const { return failures_; }
  std::ostream& out() { return out_; }

 private:
  std::ostream& out_;
  int failures_ = 0;
};

struct Setup {
  std::string root;  // "" for the real system
  std::string home;
  std::string system_config;
  std::string user_config;
  int timeout_ms = 5000;
  std::vector<std::string> host_env;  // the environment a browser would give the host
};

class Doctor {
 public:
  Doctor(Setup setup, Report& report) : s_(std::move(setup)), report_(report) {}

  int Run() {
    auto& out = report_.out();
    out << "vidkeep doctor" << (s_.root.empty() ? "" : " (root " + s_.root + ")") << "\n";
    auto loaded = Config::Load(s_.system_config, s_.user_config);
    report_.Section("Host configuration");
    if (!loaded.ok()) {
      report_.Fail(loaded.status().message(),
                   "correct that file (it is JSON; see docs/admin.md), then run vidkeep doctor again");
    } else {
      config_ = std::move(loaded).value();
      for (const auto& w : config_.warnings) report_.Note(w);
    }
    for (const auto& file : {s_.system_config, s_.user_config})
      report_.Ok(fmt::format("config {} {}", file, Exists(file) ? "read" : "(absent: defaults)"));
    std::string callers;
    for (const auto& c : AllowedCallers(config_)) callers += (callers.empty() ? "" : ", ") + c;
    report_.Ok("the host allows: " + (callers.empty() ? std::string("nobody") : callers));
    if (DevIdsTrusted(config_))
      report_.Warn(fmt::format("the public development ids ({}, {}) are trusted (dev_ids is true): any "
                               "extension claiming them (a Firefox add-on picks its own id) can read, "
                               "delete and plant videos",
                               kDevChromiumCaller, kDevFirefoxCaller),
                   fmt::format("only for the demo and tests: reinstall without --dev ({}), or set "
                               "\"dev_ids\": false in the config",
                               kInstaller));
    if (callers.empty())
      report_.Fail("no extension may use the host (no_dev_id is true and allowed_callers is empty)",
                   fmt::format("add your extension's id to allowed_callers in {}, or run {} --extension-id ID",
                               s_.system_config, kInstaller));

    const auto locations = KnownLocations(s_.root, s_.home);
    std::vector<std::string> browsers;
    for (const auto& loc : locations)
      if (std::find(browsers.begin(), browsers.end(), loc.browser) == browsers.end())
        browsers.push_back(loc.browser);
    int checked = 0;
    for (const auto& browser : browsers) {
      std::vector<ManifestLocation> mine;
      for (const auto& loc : locations)
        if (loc.browser == browser) mine.push_back(loc);
      if (!Found(browser, mine)) continue;
      ++checked;
      CheckBrowser(browser, mine);
    }
    if (checked == 0) {
      report_.Section("Browsers");
      report_.Fail("no supported browser found (nor any vidkeep host manifest)",
                   fmt::format("install a browser, then run {} (or register anyway: {} --browsers all)", kInstaller,
                               kInstaller));
    }
    SnapNotes();
    out << "\n";
    if (report_.failures() == 0) {
      out << "All checks passed.\n";
      return 0;
    }
    out << fmt::format("{} problem{} found; each has its fix above.\n", report_.failures(),
                       report_.failures() == 1 ? "" : "s");
    return 1;
  }

 private:
  std::string Rooted(const std::string& path) const { return s_.root + path; }

  // A browser counts when its program is installed, its profile folder
  // exists, or one of its manifests is there.
  bool Found(const std::string& browser, const std::vector<ManifestLocation>& locs) const {
    for (const auto& loc : locs)
      if (Exists(loc.dir + "/" + kHostName + ".json")) return true;
    if (browser == "tor") return true;  // listed only when a bundle exists
    const std::string app = FlatpakApp(browser);
    if (!app.empty())
      return IsDir(s_.home + "/.var/app/" + app) || IsDir(Rooted("/var/lib/flatpak/app/" + app)) ||
             IsDir(s_.home + "/.local/share/flatpak/app/" + app);
    for (const auto& bin : BrowserBinaries(browser))
      if (Exists(Rooted(bin))) return true;
    for (const auto& loc : locs)
      if (!loc.system && IsDir(fs::path(loc.dir).parent_path().string())) return true;
    return false;
  }

  std::vector<std::string> FamilyCallers(BrowserFamily family) const {
    std::vector<std::string> out;
    for (const auto& c : AllowedCallers(config_))
      if (c.starts_with("chrome-extension://") == (family == BrowserFamily::kChromium)) out.push_back(c);
    return out;
  }

  void CheckBrowser(const std::string& browser, const std::vector<ManifestLocation>& locs) {
    report_.Section(fmt::format("{} ({})", Label(browser), browser));
    const BrowserFamily family = locs.front().family;
    const bool has_system_location =
        std::any_of(locs.begin(), locs.end(), [](const auto& l) { return l.system; });
    const std::string reinstall_user = fmt::format("{} --user --browsers {}", kInstaller, browser);
    const std::string reinstall_any =
        has_system_location ? fmt::format("{} --browsers {} (add --system for every user)", kInstaller, browser)
                            : reinstall_user;

    // Chromium-family policies decide whether a user-level manifest counts.
    bool user_level_blocked = false;
    if (family == BrowserFamily::kChromium) user_level_blocked = CheckChromiumPolicies(browser);
    else CheckFirefoxPolicies(browser);

    std::vector<const ManifestLocation*> present;
    for (const auto& loc : locs)
      if (Exists(loc.dir + "/" + kHostName + ".json")) present.push_back(&loc);
    if (present.empty()) {
      std::string where;
      for (const auto& loc : locs) where += "\n              " + loc.dir;
      report_.Fail(fmt::format("no {}.json in any place {} reads:{}", kHostName, Label(browser), where),
                   "run " + reinstall_any);
      return;
    }

    // The manifest the browser uses: per user first, unless policy forbids it.
    const ManifestLocation* effective = nullptr;
    for (const auto* loc : present) {
      if (!loc->system && user_level_blocked) {
        if (has_system_location) {
          report_.Fail(fmt::format("{}: per-user manifest ignored: policy NativeMessagingUserLevelHosts is false",
                                   loc->dir),
                       fmt::format("install system-wide: sudo {} --system --browsers {}", kInstaller, browser));
        } else {
          report_.Fail(fmt::format("{}: policy NativeMessagingUserLevelHosts is false and {} has no system location",
                                   loc->dir, Label(browser)),
                       "ask the administrator to allow org.vidkeep.host or per-user hosts (docs/admin.md)");
        }
        continue;
      }
      if (!effective) effective = loc;
    }
    for (const auto* loc : present) {
      auto host = CheckManifest(browser, *loc, reinstall_any);
      if (loc == effective && host) Hello(*loc, *host);
    }
    if (browser.starts_with("flatpak-")) CheckFlatpakOverride(browser);
  }

  // Returns the host binary to start when the manifest is usable.
  std::optional<std::string> CheckManifest(const std::string& browser, const ManifestLocation& loc,
                                           const std::string& reinstall) {
    const std::string file = loc.dir + "/" + kHostName + ".json";
    auto text = ReadFile(file);
    if (!text) {
      report_.Fail(file + " cannot be read", "make it readable (chmod 644 " + file + ") or run " + reinstall);
      return std::nullopt;
    }
    json doc = json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      report_.Fail(file + " is not a valid JSON object", "run " + reinstall + " to write it again");
      return std::nullopt;
    }
    report_.Ok(fmt::format("manifest {} ({})", file, loc.system ? "system-wide" : "per user"));
    bool usable = true;
    const std::string name = doc.value("name", std::string());
    if (name != kHostName) {
      report_.Fail(fmt::format("{}: \"name\" is \"{}\", but the file name says {}", file, name, kHostName),
                   fmt::format("set \"name\": \"{}\" (or run {})", kHostName, reinstall));
      usable = false;
    }
    if (doc.value("type", std::string()) != "stdio") {
      report_.Fail(file + ": \"type\" must be \"stdio\"", "run " + reinstall);
      usable = false;
    }
    const std::string path = doc.value("path", std::string());
    std::string host = path;
    if (path.empty() || !FsPath(path).is_absolute()) {
      report_.Fail(fmt::format("{}: \"path\" \"{}\" is not an absolute path", file, path), "run " + reinstall);
      return std::nullopt;
    }
    const auto info = StatPath(path);
    if (!info) {
      report_.Fail(fmt::format("host binary {} does not exist", path),
                   fmt::format("run {} again (it installs the binary and repairs the path)", reinstall));
      return std::nullopt;
    }
    if (!info->executable) {
      report_.Fail(fmt::format("host binary {} is not an executable file", path), "chmod 755 " + path);
      return std::nullopt;
    }
    report_.Ok(fmt::format("host {} is executable", path));
    if (!FlatpakApp(browser).empty()) {
      auto wrapped = FlatpakWrapped(path);
      if (!wrapped) {
        report_.Fail(fmt::format("{} does not start vidkeep-host through flatpak-spawn --host", path),
                     "run " + reinstall);
        return std::nullopt;
      }
      if (auto w = StatPath(*wrapped); !w || !w->executable) {
        report_.Fail(fmt::format("{} starts {}, which is missing or not executable", path, *wrapped),
                     "run " + reinstall);
        return std::nullopt;
      }
      host = *wrapped;
    }

    // The browser lets in only the extensions the manifest lists; the host
    // only those its config allows. Both lists must agree.
    const char* key = loc.family == BrowserFamily::kChromium ? "allowed_origins" : "allowed_extensions";
    std::vector<std::string> listed;
    if (auto it = doc.find(key); it != doc.end() && it->is_array())
      for (const auto& v : *it)
        if (v.is_string()) listed.push_back(NormalizeCaller(v.get<std::string>()));
    if (listed.empty()) {
      report_.Fail(fmt::format("{}: \"{}\" lists no extension", file, key), "run " + reinstall);
      return std::nullopt;
    }
    for (const auto& want : FamilyCallers(loc.family)) {
      if (std::find(listed.begin(), listed.end(), want) != listed.end()) {
        report_.Ok(fmt::format("{} allows {}", key, want));
      } else {
        const bool dev = want == kDevChromiumCaller || want == kDevFirefoxCaller;
        report_.Fail(fmt::format("{}: \"{}\" lacks {}, which the host config allows", file, key, want),
                     dev ? "run " + reinstall + " (or --no-dev-id if the development id should stay out)"
                         : fmt::format("run {} --extension-id {}", reinstall, want));
        usable = false;
      }
    }
    for (const auto& id : listed) {
      if (!IsCallerAllowed(id, config_))
        report_.Fail(fmt::format("{} lists {}, but the host refuses it (not in allowed_callers)", file, id),
                     fmt::format("add \"{}\" to allowed_callers in {} (or run {} --extension-id {})",
                                 id, loc.system ? s_.system_config : s_.user_config, reinstall, id));
    }
    if (!usable) return std::nullopt;
    hello_callers_[file] = listed;
    return host;
  }

  static std::optional<std::string> FlatpakWrapped(const std::string& wrapper) {
    auto text = ReadFile(wrapper);
    if (!text) return std::nullopt;
    const std::string marker = "flatpak-spawn --host ";
    auto at = text->find(marker);
    if (at == std::string::npos) return std::nullopt;
    std::string rest = text->substr(at + marker.size());
    rest = rest.substr(0, rest.find_first_of(" \n"));
    if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') rest = rest.substr(1, rest.size() - 2);
    return rest;
  }

  void CheckFlatpakOverride(const std::string& browser) {
    const std::string app = FlatpakApp(browser);
    for (const auto& file : {s_.home + "/.local/share/flatpak/overrides/" + app,
                             Rooted("/var/lib/flatpak/overrides/" + app)}) {
      auto text = ReadFile(file);
      if (text && text->find("org.freedesktop.Flatpak=talk") != std::string::npos) {
        report_.Ok(fmt::format("{} may start programs outside its sandbox ({})", app, file));
        return;
      }
    }
    report_.Fail(fmt::format("{} may not talk to org.freedesktop.Flatpak, so it cannot start the host", app),
                 fmt::format("flatpak override --user --talk-name=org.freedesktop.Flatpak {}", app));
  }

  // Reads every managed policy file of a Chromium-family browser; returns
  // whether per-user manifests are off.
  bool CheckChromiumPolicies(const std::string& browser) {
    bool user_level_blocked = false;
    for (const auto& dir : PolicyDirs(browser, s_.root)) {
      std::error_code ec;
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& path : files) {
        const std::string file = path.string();
        auto text = ReadFile(file);
        json doc = text ? json::parse(*text, nullptr, false) : json();
        if (!text || doc.is_discarded() || !doc.is_object()) {
          report_.Note(file + " is not valid JSON; the browser ignores it");
          continue;
        }
        if (auto it = doc.find("NativeMessagingUserLevelHosts"); it != doc.end() && *it == false) {
          user_level_blocked = true;
          report_.Note(file + " sets NativeMessagingUserLevelHosts false: per-user manifests do not count");
        }
        const bool blocked = ListHas(doc, "NativeMessagingBlocklist", "*") ||
                             ListHas(doc, "NativeMessagingBlocklist", kHostName);
        if (blocked && !AllowedInAnyPolicy(browser, "NativeMessagingAllowlist", kHostName)) {
          report_.Fail(fmt::format("{}: NativeMessagingBlocklist blocks {}", file, kHostName),
                       fmt::format("add \"{}\" to NativeMessagingAllowlist in {} (docs/admin.md)", kHostName, file));
        }
        for (const auto& caller : FamilyCallers(BrowserFamily::kChromium)) {
          std::string id = caller.substr(std::strlen("chrome-extension://"));
          id = id.substr(0, id.find('/'));
          const bool ext_blocked =
              ListHas(doc, "ExtensionInstallBlocklist", "*") || ListHas(doc, "ExtensionInstallBlocklist", id);
          if (ext_blocked && !AllowedInAnyPolicy(browser, "ExtensionInstallAllowlist", id) &&
              !AllowedInAnyPolicy(browser, "ExtensionInstallForcelist", id, /*prefix=*/true))
            report_.Fail(fmt::format("{}: ExtensionInstallBlocklist blocks the extension {}", file, id),
                         fmt::format("add \"{}\" to ExtensionInstallAllowlist (or ExtensionInstallForcelist) in {}",
                                     id, file));
        }
      }
    }
    return user_level_blocked;
  }

  bool AllowedInAnyPolicy(const std::string& browser, const char* key, const std::string& value,
                          bool prefix = false) const {
    for (const auto& dir : PolicyDirs(browser, s_.root)) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".json") continue;
        auto text = ReadFile(entry.path().string());
        if (!text) continue;
        json doc = json::parse(*text, nullptr, false);
        if (!doc.is_object()) continue;
        if (prefix ? ListHasPrefix(doc, key, value + ";") || ListHas(doc, key, value) : ListHas(doc, key, value))
          return true;
      }
    }
    return false;
  }

  void CheckFirefoxPolicies(const std::string& browser) {
    for (const auto& file : FirefoxPolicyFiles(browser, s_.root)) {
      auto text = ReadFile(file);
      if (!text) continue;
      json doc = json::parse(*text, nullptr, false);
      if (doc.is_discarded() || !doc.is_object() || !doc.contains("policies") || !doc["policies"].is_object()) {
        report_.Note(file + " has no \"policies\" object; Firefox ignores it");
        continue;
      }
      const json& policies = doc["policies"];
      report_.Ok("policies " + file + " read");
      for (const auto& id : FamilyCallers(BrowserFamily::kFirefox)) {
        if (auto ext = policies.find("Extensions"); ext != policies.end() && ext->is_object() &&
                                                    ListHas(*ext, "Uninstall", id))
          report_.Fail(fmt::format("{}: Extensions.Uninstall removes {}", file, id),
                       fmt::format("take \"{}\" out of Extensions.Uninstall in {}", id, file));
        auto settings = policies.find("ExtensionSettings");
        if (settings == policies.end() || !settings->is_object()) continue;
        auto mode_of = [&](const std::string& key) -> std::string {
          auto it = settings->find(key);
          if (it == settings->end() || !it->is_object()) return {};
          return it->value("installation_mode", std::string());
        };
        const std::string own = mode_of(id);
        if (own == "blocked" || (own.empty() && mode_of("*") == "blocked"))
          report_.Fail(fmt::format("{}: ExtensionSettings blocks the extension {}", file, id),
                       fmt::format("add \"{}\": {{\"installation_mode\": \"allowed\"}} (or \"force_installed\" "
                                   "with an install_url) to ExtensionSettings in {} (docs/admin.md)",
                                   id, file));
      }
    }
  }

  void Hello(const ManifestLocation& loc, const std::string& host) {
    const std::string file = loc.dir + "/" + kHostName + ".json";
    // Start the host as this browser would, naming an extension both sides allow.
    std::string caller;
    for (const auto& id : hello_callers_[file])
      if (IsCallerAllowed(id, config_)) {
        caller = id;
        break;
      }
    if (caller.empty()) return;  // already reported: the host refuses every listed id
    std::vector<std::string> argv{host};
    if (loc.family == BrowserFamily::kChromium) {
      argv.push_back(caller);
    } else {
      argv.push_back(file);
      argv.push_back(caller);
    }
    const std::string key = host + "\n" + caller;
    auto cached = hello_cache_.find(key);
    if (cached == hello_cache_.end())
      cached = hello_cache_.emplace(key, HelloRoundTrip(argv, s_.host_env, s_.timeout_ms)).first;
    const HelloResult& r = cached->second;
    if (r.ok) {
      report_.Ok(fmt::format("hello as {}: {}", caller, r.detail));
    } else {
      report_.Fail(fmt::format("hello as {} failed: {}", caller, r.detail),
                   r.detail.find("unauthorized") != std::string::npos
                       ? fmt::format("add \"{}\" to allowed_callers in {}", caller, s_.system_config)
                       : fmt::format("run {} by hand to see why; its log is under ~/.local/state/vidkeep/ "
                                     "(or $VIDKEEP_HOME/log)",
                                     host));
    }
  }

  void SnapNotes() {
    if (Exists(Rooted("/snap/firefox")) || Exists(Rooted("/snap/bin/firefox"))) {
      report_.Section("Snap Firefox");
      report_.Note("Snap Firefox starts native hosts only through the WebExtensions portal (Firefox 106+,");
      report_.Note("xdg-desktop-portal 1.17+): the manifest in ~/.mozilla/native-messaging-hosts is used, and");
      report_.Note("the first connection asks you to allow \"vidkeep\" (flatpak permission-show webextensions).");
    }
    if (Exists(Rooted("/snap/chromium")))
      report_.Note("Snap Chromium cannot start programs outside its snap: vidkeep does not work with it.");
  }

  Setup s_;
  Report& report_;
  Config config_;
  std::map<std::string, std::vector<std::string>> hello_callers_;
  std::map<std::string, HelloResult> hello_cache_;
};

}  // namespace

std::vector<ManifestLocation> KnownLocations(const std::string& root, const std::string& home) {
  using F = BrowserFamily;
  std::vector<ManifestLocation> l;
  auto add = [&](const char* browser, F family, bool system, const std::string& dir) {
    l.push_back({browser, family, system, dir});
  };
  const std::string h = home;
  add("chrome", F::kChromium, false, h + "/.config/google-chrome/NativeMessagingHosts");
  add("chrome", F::kChromium, true, root + "/etc/opt/chrome/native-messaging-hosts");
  add("chromium", F::kChromium, false, h + "/.config/chromium/NativeMessagingHosts");
  add("chromium", F::kChromium, true, root + "/etc/chromium/native-messaging-hosts");
  add("edge", F::kChromium, false, h + "/.config/microsoft-edge/NativeMessagingHosts");
  add("edge", F::kChromium, true, root + "/etc/opt/edge/native-messaging-hosts");
  add("brave", F::kChromium, false, h + "/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts");
  add("brave", F::kChromium, true, root + "/etc/opt/chrome/native-messaging-hosts");
  add("vivaldi", F::kChromium, false, h + "/.config/vivaldi/NativeMessagingHosts");
  add("vivaldi", F::kChromium, true, root + "/etc/opt/vivaldi/native-messaging-hosts");
  add("opera", F::kChromium, false, h + "/.config/opera/NativeMessagingHosts");
  add("opera", F::kChromium, true, root + "/etc/opt/chrome/native-messaging-hosts");
  add("yandex", F::kChromium, false, h + "/.config/yandex-browser/NativeMessagingHosts");
  add("yandex", F::kChromium, true, root + "/etc/opt/yandex/browser/native-messaging-hosts");
  add("firefox", F::kFirefox, false, h + "/.mozilla/native-messaging-hosts");
  add("firefox", F::kFirefox, true, root + "/usr/lib/mozilla/native-messaging-hosts");
  add("librewolf", F::kFirefox, false, h + "/.librewolf/native-messaging-hosts");
  add("librewolf", F::kFirefox, true, root + "/usr/lib/librewolf/native-messaging-hosts");
  add("waterfox", F::kFirefox, false, h + "/.waterfox/native-messaging-hosts");
  add("waterfox", F::kFirefox, true, root + "/usr/lib/waterfox/native-messaging-hosts");
  add("flatpak-chromium", F::kChromium, false,
      h + "/.var/app/org.chromium.Chromium/config/chromium/NativeMessagingHosts");
  add("flatpak-chrome", F::kChromium, false,
      h + "/.var/app/com.google.Chrome/config/google-chrome/NativeMessagingHosts");
  add("flatpak-firefox", F::kFirefox, false, h + "/.var/app/org.mozilla.firefox/.mozilla/native-messaging-hosts");
  for (const auto& bundle : TorBundles(home))
    add("tor", F::kFirefox, false, bundle + "/Browser/TorBrowser/Data/Browser/.mozilla/native-messaging-hosts");
  return l;
}

HelloResult HelloRoundTrip(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                           int timeout_ms) {
  SubprocessOptions options;
  options.argv = argv;
  options.env = env;
  options.working_dir = Utf8Path(FsPath(argv[0]).parent_path());
  // One hello, then end of input: the host answers and exits.
  options.input = EncodeFrame(HelloRequest("doctor", "doctor"));
  options.capture_stderr = false;
  options.output_cap = 0;  // the decoder below keeps what it needs
  FrameDecoder decoder(kMaxOutgoingFrameBytes);
  std::optional<std::string> answer;
  options.on_output = [&](std::string_view piece) {
    decoder.Feed(piece);
    while (auto event = decoder.Next())
      if (event->kind == FrameEvent::Kind::kFrame) {
        answer = event->payload;
        return true;
      }
    return false;
  };
  options.timeout = std::chrono::milliseconds(timeout_ms);
  // The host has 2 s after end of input (PROTOCOL.md section 2).
  options.exit_grace = std::chrono::seconds(3);
  auto run = RunSubprocess(options);
  if (!run.ok()) return {false, run.status().message()};

  if (!answer) {
    if (run->timed_out) return {false, fmt::format("no answer within {} ms", timeout_ms)};
    if (run->exit_code == 127) return {false, "could not start " + argv[0]};
    if (run->signal != 0 && !run->killed) return {false, fmt::format("host died of signal {}", run->signal)};
    return {false, run->input_written ? "host closed its output without answering"
                                      : "host exited before reading the request"};
  }
  auto hello = ParseHelloAnswer(*answer);
  if (!hello.ok()) return {false, hello.status().message()};
  if (!hello->ok) return {false, fmt::format("error {}: {}", hello->error_code, hello->error_message)};
  if (hello->protocol != kProtocolVersion)
    return {false, "host speaks protocol " + Dump(hello->protocol)};
  std::string detail =
      fmt::format("vidkeep-host {}, protocol {}", hello->host_version, kProtocolVersion);
  if (hello->db_path) detail += ", database " + *hello->db_path;
  if (run->exit_code > 0) detail += fmt::format(" (then exited with status {})", run->exit_code);
  return {true, detail};
}

int RunDoctor(const std::vector<std::string>& args, std::ostream& out) {
  Setup setup;
  setup.root = EnvOr("VIDKEEP_DOCTOR_ROOT", "");
  bool list_locations = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--root" || a == "--timeout-ms") && i + 1 >= args.size()) {
      std::cerr << "vidkeep: doctor " << a << " needs a value\n";
      return 2;
    }
    if (a == "--root") {
      setup.root = args[++i];
    } else if (a.starts_with("--root=")) {
      setup.root = a.substr(7);
    } else if (a == "--timeout-ms") {
      setup.timeout_ms = std::atoi(args[++i].c_str());
    } else if (a == "--locations") {
      list_locations = true;
    } else if (a == "-h" || a == "--help") {
      out << "Usage: vidkeep doctor [--root DIR] [--timeout-ms N] [--locations]\n"
             "Checks, for each browser found, that it can start vidkeep-host and that the host answers.\n"
             "  --root DIR       check an installation made with install.sh --root DIR (home: DIR/home)\n"
             "  --timeout-ms N   how long to wait for the host's hello answer (default 5000)\n"
             "  --locations      print every manifest location known here and exit\n";
      return 0;
    } else {
      std::cerr << "vidkeep: doctor: unknown argument '" << a << "' (see 'vidkeep doctor --help')\n";
      return 2;
    }
  }
  if (setup.timeout_ms <= 0) setup.timeout_ms = 5000;
  while (setup.root.size() > 1 && setup.root.back() == '/') setup.root.pop_back();
  if (!setup.root.empty()) {
    std::error_code ec;
    setup.root = fs::absolute(setup.root, ec).string();
  }

  // The environment a browser would give the host. Under a fake root the
  // host's home and system config move there too (as install.sh --root has them).
  for (const std::string& var : CurrentEnvironment()) {
    if (!setup.root.empty() &&
        (var.starts_with("HOME=") || var.starts_with("XDG_") || var.starts_with("VIDKEEP_HOME=") ||
         var.starts_with("VIDKEEP_SYSTEM_CONFIG=")))
      continue;
    setup.host_env.push_back(var);
  }
  if (setup.root.empty()) {
    setup.home = EnvOr("HOME", "");
    auto paths = Paths::FromEnvironment();
    if (!paths.ok()) {
      std::cerr << "vidkeep: " << paths.status().message() << "\n";
      return 1;
    }
    setup.system_config = paths->system_config;
    setup.user_config = paths->user_config;
  } else {
    setup.home = setup.root + "/home";
    setup.system_config = setup.root + "/etc/vidkeep/config.json";
    setup.user_config = setup.home + "/.config/vidkeep/config.json";
    setup.host_env.push_back("HOME=" + setup.home);
    setup.host_env.push_back("VIDKEEP_SYSTEM_CONFIG=" + setup.system_config);
  }

  if (list_locations) {
    for (const auto& loc : KnownLocations(setup.root, setup.home))
      out << loc.browser << "\t" << (loc.system ? "system" : "user") << "\t" << loc.dir << "\n";
    return 0;
  }
  Report report(out);
  return Doctor(setup, report).Run();
}

}  // namespace vidkeep
