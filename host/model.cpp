#include "model.h"

#include <chrono>
#include <ctime>


namespace vidkeep {

namespace {
constexpr std::string_view kSourceNames[] = {"sse",  "artifact", "manual", "websocket",
                                             "poll", "tool",     "inline", "app"};
constexpr std::string_view kSyncNames[] = {"pending", "synced", "failed", "auth_required",
                                           "local",   "saved_by_app"};
constexpr std::string_view kFileKindNames[] = {"video", "thumbnail"};
constexpr std::string_view kCacheNames[] = {"not_cached", "downloading", "cached", "failed",
                                            "evicted"};

// Each enum's values are indexes into its table of wire names.
template <typename Enum, std::size_t N>
std::optional<Enum> Parse(const std::string_view (&names)[N], std::string_view text) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<Enum>(i);
  return std::nullopt;
}
}  // namespace

std::string_view ToString(Source source) { return kSourceNames[static_cast<int>(source)]; }
std::optional<Source> ParseSource(std::string_view text) { return Parse<Source>(kSourceNames, text); }
std::string_view ToString(SyncState state) { return kSyncNames[static_cast<int>(state)]; }
std::optional<SyncState> ParseSyncState(std::string_view text) {
  return Parse<SyncState>(kSyncNames, text);
}
std::string_view ToString(FileKind kind) { return kFileKindNames[static_cast<int>(kind)]; }
std::optional<FileKind> ParseFileKind(std::string_view text) {
  return Parse<FileKind>(kFileKindNames, text);
}
std::string_view ToString(CacheState state) { return kCacheNames[static_cast<int>(state)]; }
std::optional<CacheState> ParseCacheState(std::string_view text) {
  return Parse<CacheState>(kCacheNames, text);
}

std::int64_t UnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatUtcMs(std::int64_t unix_ms) {
  using namespace std::chrono;
  const int ms = static_cast<int>(unix_ms % 1000);
  // The calendar fields as gmtime_r gives them (std::chrono: Windows has no
  // gmtime_r).
  const sys_seconds at{seconds(unix_ms / 1000)};
  const auto day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss time{at - day};
  std::tm tm{};
  tm.tm_year = static_cast<int>(date.year()) - 1900;
  tm.tm_mon = static_cast<int>(static_cast<unsigned>(date.month())) - 1;
  tm.tm_mday = static_cast<int>(static_cast<unsigned>(date.day()));
  tm.tm_hour = static_cast<int>(time.hours().count());
  tm.tm_min = static_cast<int>(time.minutes().count());
  tm.tm_sec = static_cast<int>(time.seconds().count());
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

std::string NowUtc() { return FormatUtcMs(UnixMs()); }

}  // namespace vidkeep
