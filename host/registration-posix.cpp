// registration.h on Linux: nothing goes through a registry; installer/install.sh
// writes the manifests into the browsers' folders and doctor checks those.
#include "registration.h"

namespace vidkeep {

const bool kRegistryRegistration = false;

const std::vector<RegistryEntry>& RegistryEntries() {
  static const std::vector<RegistryEntry> none;
  return none;
}

Status InstallForUser(const UserInstall&, std::ostream&) {
  return Status::Error(ErrorCode::kUnsupported, "on Linux, run installer/install.sh --user");
}

Status UninstallForUser(const UserInstall&, std::ostream&) {
  return Status::Error(ErrorCode::kUnsupported, "on Linux, run installer/install.sh --uninstall --user");
}

int RunRegistryDoctor(const std::vector<std::string>&, std::ostream& out) {
  out << "no registry on Linux\n";
  return 2;
}

}  // namespace vidkeep
