// Helpers shared by the files that implement Store (store.cpp, store_media.cpp).
// Not for other modules: SQL stays inside the store.
#pragma once

#include <exception>
#include <string>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <spdlog/fmt/fmt.h>

#include "store.h"

namespace vidkeep {

// Resets a cached statement when the caller is done with it, so no statement
// keeps a read snapshot open between requests.
class Use {
 public:
  explicit Use(SQLite::Statement& s) : s_(s) {}
  ~Use() { s_.tryReset(); }  // a failed step's error was already thrown
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

inline std::string TextOrEmpty(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }

inline void BindOptional(SQLite::Statement& s, int index, const std::string& value) {
  if (value.empty())
    s.bind(index);  // NULL
  else
    s.bind(index, value);
}

// Columns from `first` on: state, bytes, total, content_type, sha256, error,
// generated of one media row (all NULL: the downloader has not seen it yet).
inline FileCache ReadFileCache(SQLite::Statement& s, int first) {
  FileCache f;
  if (s.getColumn(first).isNull()) return f;
  f.state = ParseCacheState(s.getColumn(first).getString()).value_or(CacheState::kNotCached);
  f.bytes = s.getColumn(first + 1).getInt64();
  if (!s.getColumn(first + 2).isNull()) f.total = s.getColumn(first + 2).getInt64();
  f.content_type = TextOrEmpty(s.getColumn(first + 3));
  f.sha256 = TextOrEmpty(s.getColumn(first + 4));
  f.error = TextOrEmpty(s.getColumn(first + 5));
  f.generated = s.getColumn(first + 6).getInt() != 0;
  return f;
}

template <typename F>
auto Store::Guard(const char* what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    return StatusFromSqlite(e.getExtendedErrorCode(), what, e.what());
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("{}: {}", what, e.what()));
  }
}

}  // namespace vidkeep
