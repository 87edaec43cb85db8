#include "json_writer.h"

#include <cmath>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace vidkeep {

namespace {

// The length of the well-formed UTF-8 sequence at `s[i]` (a lead byte of
// 0x80 or more), or 0 when it is not one: Unicode 15, table 3-7 (no
// overlong forms, no surrogates, nothing above U+10FFFF), which is what
// nlohmann's decoder accepts.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = at(i);
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < left && at(i + k) >= lo && at(i + k) <= hi;
  };
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
  if (b == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (b == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (b == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// True when one of the 8 bytes of `w` needs a look: a control character,
// `"`, `\\` or a byte of a multi-byte UTF-8 sequence. Bit tricks from
// "Bit Twiddling Hacks" (haszero / hasless), exact for every byte value.
bool AnySpecial(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
  auto has_zero = [&](std::uint64_t v) { return ((v - kOnes) & ~v & kHigh) != 0; };
  const bool control = ((w - kOnes * 0x20) & ~w & kHigh) != 0;  // a byte < 0x20
  return control || (w & kHigh) != 0 || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\'));
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  const std::size_t start = out.size();
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size();) {
    // Eight plain bytes at a time: most of a record is URLs and ids.
    if (s.size() - i >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!AnySpecial(w)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = Utf8Length(s, i);
      if (n == 0) {
        // Rare: let nlohmann decide how many bytes each U+FFFD replaces.
        out.resize(start);
        out += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
        return;
      }
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, 6);
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

namespace {

// The code unit of a `\uXXXX` escape at t[i], or -1.
int HexUnit(std::string_view t, std::size_t i) {
  if (i + 6 > t.size() || t[i] != '\\' || t[i + 1] != 'u') return -1;
  int unit = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    const char c = t[k];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) return -1;
    unit = unit * 16 + digit;
  }
  return unit;
}

// A JSON string at text[i] (the opening quote); returns the index after its
// closing quote, or npos.
std::size_t SkipString(std::string_view t, std::size_t i) {
  for (++i; i < t.size();) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c == '"') return i + 1;
    if (c < 0x20) return std::string_view::npos;
    if (c == '\\') {
      if (i + 1 >= t.size()) return std::string_view::npos;
      const char e = t[i + 1];
      if (e == 'u') {
        // Surrogates come in pairs (\ud83c\udfa5), as nlohmann requires.
        const int unit = HexUnit(t, i);
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return std::string_view::npos;
        i += 6;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          const int low = HexUnit(t, i);
          if (low < 0xDC00 || low > 0xDFFF) return std::string_view::npos;
          i += 6;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
        i += 2;
      } else {
        return std::string_view::npos;
      }
    } else if (c >= 0x80) {
      const std::size_t n = Utf8Length(t, i);
      if (n == 0) return std::string_view::npos;
      i += n;
    } else {
      ++i;
    }
  }
  return std::string_view::npos;
}

// A JSON number at text[i]; returns the index after it, or npos.
std::size_t SkipNumber(std::string_view t, std::size_t i) {
  auto digits = [&](std::size_t k) {
    std::size_t start = k;
    while (k < t.size() && t[k] >= '0' && t[k] <= '9') ++k;
    return k == start ? std::string_view::npos : k;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0')
    ++i;
  else if ((i = digits(i)) == std::string_view::npos)
    return i;
  if (i < t.size() && t[i] == '.' && (i = digits(i + 1)) == std::string_view::npos) return i;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    i = digits(i);
  }
  return i;
}

// Whether nlohmann can hold the number t[begin, end) (it refuses what
// overflows a double, e.g. 1e400). An underflow (from_chars reports it out
// of range too) is refused as well: such text takes the parsed path, which
// is always right, so refusing more than needed costs only speed.
bool NumberInRange(std::string_view t, std::size_t begin, std::size_t end) {
  double value = 0;
  const auto result = std::from_chars(t.data() + begin, t.data() + end, value);
  return result.ec == std::errc() && result.ptr == t.data() + end && std::isfinite(value);
}

}  // namespace

bool IsJsonObject(std::string_view t) {
  constexpr std::size_t npos = std::string_view::npos;
  char open[32];  // the containers not yet closed: '{' or '['
  std::size_t depth = 0;
  std::size_t i = 0;
  auto space = [&] {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  };
  space();
  if (i >= t.size() || t[i] != '{') return false;
  // Each turn reads one value (in an object: a key, ':' and a value), then
  // a ',' or the closing brackets.
  bool first = true;  // right after an opening bracket
  open[depth++] = '{';
  ++i;
  while (true) {
    space();
    if (first && i < t.size() && t[i] == (open[depth - 1] == '{' ? '}' : ']')) {
      ++i;  // an empty container
      if (--depth == 0) {
        space();
        return i == t.size();
      }
    } else {
      if (open[depth - 1] == '{') {
        if (i >= t.size() || t[i] != '"' || (i = SkipString(t, i)) == npos) return false;
        space();
        if (i >= t.size() || t[i] != ':') return false;
        ++i;
        space();
      }
      if (i >= t.size()) return false;
      const char c = t[i];
      if (c == '{' || c == '[') {
        if (depth == sizeof open) return false;
        open[depth++] = c;
        ++i;
        first = true;
        continue;
      }
      if (c == '"') {
        i = SkipString(t, i);
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        const std::size_t begin = i;
        i = SkipNumber(t, i);
        if (i != npos && !NumberInRange(t, begin, i)) return false;
      } else {
        std::size_t n = 0;
        for (std::string_view word : {"true", "false", "null"})
          if (t.substr(i, word.size()) == word) n = word.size();
        i = n ? i + n : npos;
      }
      if (i == npos) return false;
    }
    // After a value: a comma goes on in this container, brackets close them.
    first = false;
    while (true) {
      space();
      if (i >= t.size()) return false;
      if (t[i] == ',') {
        ++i;
        break;
      }
      if (t[i] != (open[depth - 1] == '{' ? '}' : ']')) return false;
      ++i;
      if (--depth == 0) {
        space();
        return i == t.size();
      }
    }
  }
}

void JsonWriter::Int(std::int64_t n) {
  Separate();
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, n);
  out_.append(buffer, result.ptr);
}

void JsonWriter::Value(const nlohmann::json& value) {
  Separate();
  out_ += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vidkeep
