// Registering vidkeep-host with the browsers through the Windows registry
// (docs/windows.md, "Registration"): per user, without administrator
// rights, `vidkeep install --user` / `uninstall --user`. registration-win32.cpp
// does it; on Linux install.sh writes manifest files into the browsers'
// folders instead and registration-posix.cpp only says so.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "doctor.h"
#include "status.h"

namespace vidkeep {

/// Whether this platform registers through the registry (Windows): the CLI
/// offers install/uninstall --user, doctor reads the keys.
extern const bool kRegistryRegistration;

/// One registry key a browser family reads, relative to HKCU/HKLM\Software.
struct RegistryEntry {
  std::string browser;  // "chrome", "chromium", "edge", "brave", "firefox"
  BrowserFamily family;
  std::string key;      // e.g. "Google\\Chrome\\NativeMessagingHosts\\org.vidkeep.host"
};
/// Chrome, Chromium, Edge, Brave, Firefox (Opera and Vivaldi read Chrome's).
const std::vector<RegistryEntry>& RegistryEntries();

struct UserInstall {
  std::string host_path;     // absolute path of vidkeep-host.exe
  std::string manifest_dir;  // where the two manifests and the receipt go
  std::vector<std::string> extension_ids;
  bool no_dev_id = false;
  /// The key under HKEY_CURRENT_USER the browser keys go below: "Software"
  /// for real; tests use their own ("Software\\vidkeep-test\\<n>").
  std::string registry_base = "Software";
  /// The host config the install's ids are allowed in: "" for the user's
  /// own (Paths::FromEnvironment); tests use a file of their own.
  std::string config_path;
};

/// Writes the manifests and one key per browser (default value: the
/// manifest's path, 64-bit view), and a receipt of every key and file it
/// created, so that uninstall removes exactly those.
Status InstallForUser(const UserInstall& install, std::ostream& out);
/// Removes what the receipt lists: a browser key only while its value still
/// names our manifest, a parent key only if install created it and it is
/// empty now, then the manifests and the receipt.
Status UninstallForUser(const UserInstall& install, std::ostream& out);

/// `vidkeep doctor` on Windows: the keys (HKCU then HKLM, both views), the
/// manifests they name, the host binary, the browsers' policies, then the
/// hello round trip. Returns the exit status (0 all passed, 1 a failure).
int RunRegistryDoctor(const std::vector<std::string>& args, std::ostream& out);

}  // namespace vidkeep
