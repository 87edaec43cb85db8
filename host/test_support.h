// Small helpers the tests share, the same on every platform.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <string_view>

#include "file_io.h"

namespace vidkeep::test {

/// A new, empty folder in the system's temporary folder, named after
/// `pattern` ("/tmp/vidkeep-store-XXXXXX": "vidkeep-store-" and six random
/// characters), as mkdtemp(3) makes it, on Windows too.
inline std::string MakeTempDir(std::string_view pattern) {
  std::string prefix(pattern.substr(pattern.rfind('/') + 1));
  if (prefix.ends_with("XXXXXX")) prefix.resize(prefix.size() - 6);
  static std::mt19937_64 rng{std::random_device{}()};
  const std::filesystem::path base = std::filesystem::temp_directory_path();
  for (;;) {
    const std::string name = prefix + std::to_string(rng() % 1000000000);
    std::error_code ec;
    if (std::filesystem::create_directory(base / name, ec)) return Utf8Path((base / name).generic_u8string());
    if (ec) throw std::filesystem::filesystem_error("cannot create a temporary folder", base / name, ec);
  }
}

}  // namespace vidkeep::test
