#include "log.h"

#include <memory>
#include <vector>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace vidkeep {

void InitSilentLogging() {
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "vidkeep", std::make_shared<spdlog::sinks::null_sink_mt>()));
}

Status InitLogging(const std::string& log_file, const LogConfig& config, const std::string& name) {
  std::vector<spdlog::sink_ptr> sinks;
  try {
    // The process umask (077) makes the file 0600 on creation.
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        log_file, config.max_file_bytes, static_cast<std::size_t>(config.max_files)));
  } catch (const spdlog::spdlog_ex& e) {
    return Status::Unavailable(std::string("cannot open log file: ") + e.what());
  }
  if (config.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %n[%P] %l: %v", spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return {};
}

void InitStderrLogging(const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>(
      "vidkeep", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("vidkeep: %l: %v");
  spdlog::set_default_logger(logger);
}

}  // namespace vidkeep
