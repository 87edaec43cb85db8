// The shared text helpers (issue 16, item 6). FormatBytes had a twin in
// media_fetch.cpp that wrote "1000 bytes" and "10.0 GiB" where the CLI wrote
// "1000 B" and "10.00 GiB"; these pin the one format both now use.
#include "string_util.h"

#include <cstdlib>

#include <catch2/catch.hpp>

#include "env.h"
#include "platform.h"

using namespace vidkeep;

TEST_CASE("sizes for people: B below 1 KiB, one decimal for KiB and MiB, two from GiB up") {
  CHECK(FormatBytes(0) == "0 B");
  CHECK(FormatBytes(1000) == "1000 B");
  CHECK(FormatBytes(1023) == "1023 B");
  CHECK(FormatBytes(1024) == "1.0 KiB");
  CHECK(FormatBytes(128 * 1024) == "128.0 KiB");
  CHECK(FormatBytes((1 << 20) - 1) == "1024.0 KiB");  // rounds up, stays in KiB
  CHECK(FormatBytes(1 << 20) == "1.0 MiB");
  CHECK(FormatBytes(5452595) == "5.2 MiB");
  CHECK(FormatBytes(1LL << 30) == "1.00 GiB");
  CHECK(FormatBytes(5LL << 30) == "5.00 GiB");
  CHECK(FormatBytes(10LL << 40) == "10240.00 GiB");
}

TEST_CASE("Lower folds ASCII letters only and leaves UTF-8 bytes alone") {
  CHECK(Lower("Video/MP4") == "video/mp4");
  CHECK(Lower("HTTPS") == "https");
  CHECK(Lower("") == "");
  CHECK(Lower("\xC3\x89T\xC3\x89") == "\xC3\x89t\xC3\x89");  // "ÉTÉ": only the T folds
  CHECK(Lower("a-Z_0[@") == "a-z_0[@");                        // '@' and '[' border 'A'..'Z'
}

TEST_CASE("Trim drops spaces and tabs at both ends, nothing else") {
  CHECK(Trim(" \t bytes=0- \t") == "bytes=0-");
  CHECK(Trim("a b") == "a b");
  CHECK(Trim("   ") == "");
  CHECK(Trim("\nx\r") == "\nx\r");  // CR and LF are not HTTP whitespace
}

TEST_CASE("EnvOr: an empty variable counts as unset") {
  SetEnv("VIDKEEP_TEST_ENVOR", "value");
  CHECK(EnvOr("VIDKEEP_TEST_ENVOR", "fallback") == "value");
  SetEnv("VIDKEEP_TEST_ENVOR", "");
  CHECK(EnvOr("VIDKEEP_TEST_ENVOR", "fallback") == "fallback");
  UnsetEnv("VIDKEEP_TEST_ENVOR");
  CHECK(EnvOr("VIDKEEP_TEST_ENVOR", "fallback") == "fallback");
}
