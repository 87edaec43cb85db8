// What a page-supplied prompt may not do to a terminal (issue 13, finding 2).
#include "terminal.h"

#include <catch2/catch.hpp>

using namespace vidkeep;

TEST_CASE("an OSC 52 clipboard write and a line erase come out as visible text") {
  const std::string osc52 = "cat\x1b]52;c;ZWNobyBwd25lZA==\x07 video";
  CHECK(TerminalSafe(osc52) == "cat\\e]52;c;ZWNobyBwd25lZA==\\x07 video");
  CHECK(TerminalSafe("a\r\x1b[2Kfake line") == "a\\r\\e[2Kfake line");
  CHECK(TerminalSafe("two\nlines\tand tab") == "two\\nlines\\tand tab");
  CHECK(TerminalSafe(std::string("nul\0byte", 8)) == "nul\\x00byte");
}

TEST_CASE("DEL and the C1 controls (CSI U+009B, OSC U+009D) are escaped too") {
  CHECK(TerminalSafe("del\x7f") == "del\\x7f");
  CHECK(TerminalSafe("\xc2\x9b" "2J") == "\\u009b2J");
  CHECK(TerminalSafe("\xc2\x9d" "0;title\xc2\x9c") == "\\u009d0;title\\u009c");
  CHECK(TerminalSafe("\xc2\x85") == "\\u0085");
}

TEST_CASE("bidi overrides that reorder a line are escaped; other text is kept as is") {
  CHECK(TerminalSafe("abc\xe2\x80\xae" "fdp.exe") == "abc\\u202efdp.exe");
  CHECK(TerminalSafe("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u2066x\\u2069");
  CHECK(TerminalSafe("ein Fuchs läuft 🦊, 日本語, \\n as typed") ==
        "ein Fuchs läuft 🦊, 日本語, \\n as typed");
  CHECK(TerminalSafe("\xc2\xa0nbsp \xc2\xa9") == "\xc2\xa0nbsp \xc2\xa9");
}

TEST_CASE("bytes that are not UTF-8 are shown as hex, never passed through") {
  CHECK(TerminalSafe("\xff\xfe") == "\\xff\\xfe");
  CHECK(TerminalSafe("cut \xe2\x80") == "cut \\xe2\\x80");
  // An overlong ESC (0xC0 0x9B) must not slip through as a raw C1/ESC.
  CHECK(TerminalSafe("\xc0\x9b") == "\\xc0\\x9b");
  CHECK(TerminalSafe("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
}
