// The native messaging host process: configuration, store, service and
// channel wired together on one event loop.
#pragma once

#include <string>
#include <vector>

namespace vidkeep {

/// Runs the host until stdin closes. `args` is argv as the browser gave it.
/// Returns the process exit status (0 after a clean end of input).
int RunHost(const std::vector<std::string>& args);

}  // namespace vidkeep
