// `vidkeep doctor`: checks, for each browser found, that the browser can find
// and start vidkeep-host and that the host will answer it (issue 5). Every
// failure comes with its fix. The browser locations mirror
// installer/install.sh; tests/installer/run.sh checks that the two agree.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace vidkeep {

/// The families that share one manifest format.
enum class BrowserFamily { kChromium, kFirefox };

/// One place a browser looks for `org.vidkeep.host.json`.
struct ManifestLocation {
  std::string browser;  // installer key: "chromium", "firefox", "flatpak-chrome", ...
  BrowserFamily family;
  bool system;          // system-wide (else per user)
  std::string dir;      // absolute, under the root
};

/// Every manifest location known on Linux (the only OS built; macOS's are on
/// paper in docs/windows.md), for a root ("" is the real one) and a home
/// directory. Tor Browser bundles found under `home` are included.
std::vector<ManifestLocation> KnownLocations(const std::string& root, const std::string& home);

/// What one framed `hello` round trip with a host binary gave.
struct HelloResult {
  bool ok = false;
  std::string detail;  // host version and database, or why it failed
};

/// Starts `argv[0]` with `argv` (its folder as working directory, pipes for
/// stdin and stdout, `env` as the environment), sends one `hello` frame,
/// closes stdin and waits at most `timeout_ms` for the answer. The child is
/// always reaped (killed if it outlives the timeout). Blocking; not thread-safe
/// with respect to SIGCHLD handlers that reap children.
HelloResult HelloRoundTrip(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                           int timeout_ms);

/// Runs `vidkeep doctor` with the arguments that follow `doctor`
/// (`--root DIR`, `--locations`, `--timeout-ms N`; env VIDKEEP_DOCTOR_ROOT
/// sets the root too). Prints a report to `out`; returns the exit status:
/// 0 when every check passed, 1 when one failed, 2 on bad usage.
int RunDoctor(const std::vector<std::string>& args, std::ostream& out);

}  // namespace vidkeep
