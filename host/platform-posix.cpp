// platform.h on Linux.
#include "platform.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "env.h"

namespace vidkeep {

void UseBinaryStdio() {}

void HardenHostProcess() {
  ::umask(077);  // every file and directory the host creates is private
  // No core file of it, and no other process of the user may ptrace it or
  // read its /proc memory (PR_SET_DUMPABLE 0 does both).
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void PrivateFilesByDefault() { ::umask(077); }

void IgnoreBrokenPipes() { std::signal(SIGPIPE, SIG_IGN); }

std::vector<std::string> CommandLineArguments(int argc, char** argv) {
  return std::vector<std::string>(argv, argv + argc);
}

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO); }

std::string SelfExecutable() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.string();
}

std::string ToolFileName() { return "vidkeep"; }
std::string HostFileName() { return "vidkeep-host"; }

std::string DefaultSystemConfig() { return "/etc/vidkeep/config.json"; }

Result<DefaultLocations> PlatformLocations() {
  DefaultLocations l;
  const std::string home = EnvOr("HOME", "");
  if (home.empty() && (!std::getenv("XDG_DATA_HOME") || !std::getenv("XDG_STATE_HOME")))
    return Status::Unavailable("neither VIDKEEP_HOME nor HOME is set");
  l.data_dir = EnvOr("XDG_DATA_HOME", home + "/.local/share") + "/vidkeep";
  l.config_dir = EnvOr("XDG_CONFIG_HOME", home + "/.config") + "/vidkeep";
  l.state_dir = EnvOr("XDG_STATE_HOME", home + "/.local/state") + "/vidkeep";
  return l;
}

void SetEnv(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }
void UnsetEnv(const std::string& name) { ::unsetenv(name.c_str()); }

std::string SignalName(int signal) { return strsignal(signal); }

}  // namespace vidkeep
