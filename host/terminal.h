// Text from a page or a server on its way to a terminal. A prompt may hold
// ESC sequences (an OSC 52 clipboard write, a line erase, a title change) or
// C1 controls that a terminal obeys; every human-readable CLI line passes
// page- or server-supplied text through TerminalSafe. `--json` output stays
// exact (JSON escapes C0 itself, and a program reads it, not a terminal).
#pragma once

#include <string>
#include <string_view>

namespace vidkeep {

/// `text` with every control character shown as an escape: C0 (U+0000-001F,
/// ESC included) and DEL as `\n`, `\t`, `\r`, `\e` or `\xNN`; C1 (U+0080-009F)
/// and the bidirectional overrides and isolates (U+202A-202E, U+2066-2069,
/// which can make a line read differently from what it holds) as `\uXXXX`;
/// bytes that are not UTF-8 as `\xNN`. A backslash stays one backslash:
/// the output is for people, not to be parsed back.
std::string TerminalSafe(std::string_view text);

}  // namespace vidkeep
