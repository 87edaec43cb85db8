// Starting a child process, one way (issue 16, item 4): `vidkeep doctor`
// runs vidkeep-host for a hello round trip, the host runs `vidkeep
// media-probe` in a sandbox (media_child.h). Both go through RunSubprocess.
// The platform half is chosen by CMake, as ninja has subprocess-posix.cc and
// subprocess-win32.cc: subprocess-posix.cpp here; a Windows port adds
// subprocess-win32.cpp (CreateProcess, a job object for the limits and the
// kill, docs/windows.md) behind this same header.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace vidkeep {

/// Kernel limits set in the child before it runs the program. Unset:
/// inherited from this process.
struct ResourceLimits {
  std::optional<std::uint64_t> cpu_seconds;
  /// Not applied in AddressSanitizer builds: ASan reserves terabytes of
  /// address space for its shadow memory.
  std::optional<std::uint64_t> address_space_bytes;
  std::optional<std::uint64_t> file_bytes;
  bool core_dumps = true;  // false: no core files (RLIMIT_CORE 0)
};

struct SubprocessOptions {
  /// argv[0] is the program: a path, run as it is (no PATH search). Not empty.
  std::vector<std::string> argv;
  /// The child's whole environment, "NAME=value" each; nullopt: inherit
  /// this process's. To pass on only some of it, filter CurrentEnvironment().
  std::optional<std::vector<std::string>> env;
  /// The child's working directory; "": this process's.
  std::string working_dir;
  /// Written to the child's stdin, which is closed after it; nullopt: stdin
  /// is /dev/null. What fits the pipe is in it before the child starts (so a
  /// child that exits at once still had it delivered); the rest is written
  /// while the output is read, so neither side blocks the other.
  std::optional<std::string> input;
  ResourceLimits limits;
  /// At most this many bytes of stdout, and of stderr, are kept; the rest is
  /// read and dropped, so a chatty child never blocks on a full pipe.
  std::size_t output_cap = 64 * 1024;
  /// false: the child's stderr is /dev/null.
  bool capture_stderr = true;
  /// Called with each piece of stdout as it arrives (the cap does not apply);
  /// returning true says the output is complete: reading stops and the child
  /// has `exit_grace` to exit. Runs on the calling thread.
  std::function<bool(std::string_view piece)> on_output;
  /// The child is killed (SIGKILL) when its output is not complete this long
  /// after the start. Complete: stdout and stderr closed, or on_output said so.
  std::chrono::milliseconds timeout{30000};
  /// Once the output is complete, how long the child may take to exit before
  /// it is killed.
  std::chrono::milliseconds exit_grace{3000};
  /// Start the child in a process group of its own, and kill the whole group:
  /// for a child that starts children of its own. (Such a child no longer gets
  /// the terminal's Ctrl-C.)
  bool own_process_group = false;
};

struct SubprocessResult {
  int exit_code = -1;          // its exit status; -1 when a signal ended it
  int signal = 0;              // the signal that ended it, else 0 (SIGKILL when `killed`)
  bool timed_out = false;      // killed at `timeout`, before its output was complete
  bool killed = false;         // killed by us: timed out, or it outstayed exit_grace
  bool input_written = true;   // false: the child closed its stdin (or exited) before all of `input` was in the pipe
  std::string out, err;        // at most output_cap bytes each
};

/// Runs a child as `options` say and waits for it. Blocks the calling thread
/// (call it off an event loop); the child is always reaped. Only the child's
/// stdin, stdout and stderr are open in it: no other descriptor of ours (the
/// host's stdin and stdout are the browser's pipe) reaches the program.
/// Errors, all kUnavailable: no pipe or process could be made, or the
/// program could not be started ("cannot run PROGRAM: No such file or
/// directory"; exec, chdir or a limit failed in the child).
/// Thread-safe; changes no signal handler (SIGPIPE is blocked in the calling
/// thread while `input` is written). Must not race with a SIGCHLD handler
/// that reaps children.
Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options);

/// This process's environment, "NAME=value" each, to filter for a child.
std::vector<std::string> CurrentEnvironment();

}  // namespace vidkeep
