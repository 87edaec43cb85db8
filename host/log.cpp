#include "log.h"

#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "terminal.h"

namespace vidkeep {

namespace {

// stderr for people: a warning may quote a server's reason or a page's URL,
// so its text is escaped (terminal.h) before a terminal sees it.
class TerminalSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string safe = TerminalSafe(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = safe;
    spdlog::memory_buf_t line;
    formatter_->format(copy, line);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

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
  auto logger = std::make_shared<spdlog::logger>("vidkeep", std::make_shared<TerminalSink>());
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("vidkeep: %l: %v");
  spdlog::set_default_logger(logger);
}

}  // namespace vidkeep
