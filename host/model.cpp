#include "model.h"

#include <chrono>
#include <ctime>

#include <spdlog/fmt/fmt.h>

namespace vidkeep {

namespace {
constexpr std::string_view kSourceNames[] = {"sse", "artifact", "manual"};
constexpr std::string_view kSyncNames[] = {"pending", "synced", "failed", "auth_required",
                                           "local"};
}  // namespace

std::string_view ToString(Source source) { return kSourceNames[static_cast<int>(source)]; }

std::optional<Source> ParseSource(std::string_view text) {
  for (int i = 0; i < static_cast<int>(std::size(kSourceNames)); ++i)
    if (kSourceNames[i] == text) return static_cast<Source>(i);
  return std::nullopt;
}

std::string_view ToString(SyncState state) { return kSyncNames[static_cast<int>(state)]; }

std::optional<SyncState> ParseSyncState(std::string_view text) {
  for (int i = 0; i < static_cast<int>(std::size(kSyncNames)); ++i)
    if (kSyncNames[i] == text) return static_cast<SyncState>(i);
  return std::nullopt;
}

std::string NowUtc() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t secs = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace vidkeep
