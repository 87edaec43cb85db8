// platform.h on Windows.
#include "platform.h"

#include <windows.h>
#include <shellapi.h>  // CommandLineToArgvW
#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <string>
#include <vector>

#include "env.h"
#include "file_io.h"

namespace vidkeep {

void UseBinaryStdio() {
  ::_setmode(::_fileno(stdin), _O_BINARY);
  ::_setmode(::_fileno(stdout), _O_BINARY);
  ::_setmode(::_fileno(stderr), _O_BINARY);
}

void HardenHostProcess() {
  // No "program stopped working" dialog (nobody sees the host's windows)
  // and no Windows Error Reporting dump with the session in it.
  ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
}

void PrivateFilesByDefault() {}

void IgnoreBrokenPipes() {}

std::vector<std::string> CommandLineArguments(int argc, char** argv) {
  int count = 0;
  wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  if (!wide) return std::vector<std::string>(argv, argv + argc);
  std::vector<std::string> args;
  for (int i = 0; i < count; ++i) args.push_back(Utf8Path(std::filesystem::path(wide[i])));
  ::LocalFree(wide);
  return args;
}

bool StderrIsTerminal() { return ::_isatty(::_fileno(stderr)) != 0; }

std::string SelfExecutable() {
  std::wstring buffer(32768, L'\0');
  const DWORD n = ::GetModuleFileNameW(nullptr, buffer.data(), static_cast<DWORD>(buffer.size()));
  if (n == 0 || n >= buffer.size()) return {};
  buffer.resize(n);
  return Utf8Path(std::filesystem::path(buffer));
}

std::string ToolFileName() { return "vidkeep.exe"; }
std::string HostFileName() { return "vidkeep-host.exe"; }

namespace {

// A known folder from the environment (set for every Windows session), as
// UTF-8 with forward slashes like the rest of vidkeep's paths.
std::string FolderFromEnv(const wchar_t* name) {
  wchar_t buffer[32768];
  const DWORD n = ::GetEnvironmentVariableW(name, buffer, 32768);
  if (n == 0 || n >= 32768) return {};
  return Utf8Path(std::filesystem::path(std::wstring(buffer, n)).generic_wstring());
}

}  // namespace

std::string DefaultSystemConfig() {
  const std::string program_data = FolderFromEnv(L"PROGRAMDATA");
  return (program_data.empty() ? std::string("C:/ProgramData") : program_data) + "/vidkeep/config.json";
}

Result<DefaultLocations> PlatformLocations() {
  DefaultLocations l;
  const std::string local = FolderFromEnv(L"LOCALAPPDATA");
  if (local.empty()) return Status::Unavailable("neither VIDKEEP_HOME nor LOCALAPPDATA is set");
  l.data_dir = l.config_dir = local + "/vidkeep";
  l.state_dir = local + "/vidkeep/log";
  return l;
}

// _putenv_s updates the C runtime's copy (getenv) and the process's
// environment block (children) alike. The C runtime cannot hold an empty
// variable: "" removes it, which is what vidkeep makes of an empty one anyway.
void SetEnv(const std::string& name, const std::string& value) { ::_putenv_s(name.c_str(), value.c_str()); }
void UnsetEnv(const std::string& name) { ::_putenv_s(name.c_str(), ""); }

std::string SignalName(int signal) { return "signal " + std::to_string(signal); }

}  // namespace vidkeep
