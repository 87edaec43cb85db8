// What differs between Linux and Windows for a whole process, behind one
// header: platform-posix.cpp or platform-win32.cpp, chosen in
// host/CMakeLists.txt (ninja's way; no #ifdef in the rest of the code).
#pragma once

#include <string>
#include <vector>

#include "status.h"

namespace vidkeep {

/// Standard input and output carry bytes, never text: on Windows they are
/// put in binary mode (text mode turns \n into \r\n, which corrupts frame
/// headers and exports). Nothing on Linux. Both programs call it first.
void UseBinaryStdio();

/// vidkeep-host holds session cookies and the admin token. Linux: umask 077,
/// no core file, not dumpable (no ptrace or /proc/PID/mem by other processes
/// of the user). Windows: no error dialogs or Windows Error Reporting dumps;
/// the rest is the profile ACL and the process's default DACL (a process of
/// the same user may still open it: Windows has no PR_SET_DUMPABLE).
void HardenHostProcess();
/// For the `vidkeep` tool: umask 077 on Linux (its files are private);
/// nothing on Windows (the profile ACL protects them).
void PrivateFilesByDefault();

/// A write to a reader that is gone is an error, not the process's death:
/// SIGPIPE ignored on Linux; Windows has no such signal (nothing to do).
void IgnoreBrokenPipes();

/// The program's arguments as UTF-8. Linux: argv as given. Windows: argv
/// is in the ANSI code page (a Cyrillic search or a profile path under
/// C:\Users\Андрей would arrive garbled), so they are read again from
/// GetCommandLineW. Both programs take their arguments from here.
std::vector<std::string> CommandLineArguments(int argc, char** argv);

/// Whether standard error is a terminal (for progress lines).
bool StderrIsTerminal();

/// The running program's own file (UTF-8), "" if unknown.
std::string SelfExecutable();
/// The name of the vidkeep tool's file: "vidkeep" or "vidkeep.exe".
std::string ToolFileName();
/// The name of the host's file: "vidkeep-host" or "vidkeep-host.exe".
std::string HostFileName();

/// Where vidkeep's files go when VIDKEEP_HOME is not set.
/// Linux: the XDG base directories ($XDG_DATA_HOME/vidkeep, falling back to
/// $HOME/.local/share/vidkeep, and so on), /etc/vidkeep/config.json.
/// Windows: %LOCALAPPDATA%\vidkeep for data, user config and logs (in
/// log\), %PROGRAMDATA%\vidkeep\config.json for the administrator.
struct DefaultLocations {
  std::string data_dir, config_dir, state_dir;
};
Result<DefaultLocations> PlatformLocations();
/// The administrator's config file (without $VIDKEEP_SYSTEM_CONFIG).
std::string DefaultSystemConfig();

/// Sets or removes a variable of this process's environment (setenv(3),
/// unsetenv(3); _putenv_s on Windows).
void SetEnv(const std::string& name, const std::string& value);
void UnsetEnv(const std::string& name);

/// A human-readable name for how a child ended when `signal` ended it.
std::string SignalName(int signal);

}  // namespace vidkeep
