// The native messaging host process: configuration, store, service and
// channel wired together on one event loop.
#pragma once

#include <string>
#include <vector>

namespace vidkeep {

/// Runs the host until stdin closes, then ends the process with status 0
/// (without unwinding: see host.cpp). `args` is argv as the browser gave it.
[[noreturn]] void RunHost(const std::vector<std::string>& args);

}  // namespace vidkeep
