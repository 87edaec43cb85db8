// Logging: spdlog to a rotating file (never stdout, which carries frames).
#pragma once

#include <string>

#include "config.h"
#include "status.h"

namespace vidkeep {

/// Replaces spdlog's default stdout logger with one that drops everything.
/// The host calls this first, so nothing can reach stdout before InitLogging.
void InitSilentLogging();

/// Logs to `log_file` (mode 0600, rotated by size) at the configured level,
/// and to stderr too when the config asks for it. `name` tags every line.
Status InitLogging(const std::string& log_file, const LogConfig& config, const std::string& name);

/// Logs to stderr only (the CLI's choice when it has no log file).
void InitStderrLogging(const std::string& level);

}  // namespace vidkeep
