#include "model.h"

#include <chrono>
#include <ctime>


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
  const int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  // strftime and a few digits: this runs for every stored video.
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  text[n] = '.';
  text[n + 1] = static_cast<char>('0' + ms / 100);
  text[n + 2] = static_cast<char>('0' + ms / 10 % 10);
  text[n + 3] = static_cast<char>('0' + ms % 10);
  text[n + 4] = 'Z';
  return std::string(text, n + 5);
}

}  // namespace vidkeep
