// Writing JSON text straight into a string, for the answers that carry many
// records (`list`): building an nlohmann::json DOM first and serializing it
// was most of a page's cost (docs/benchmarks.md, profiles). The output is
// byte for byte what nlohmann's compact `dump` with
// `error_handler_t::replace` writes for the same values (json_writer_test
// compares them), so the two can be mixed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vidkeep {

/// Appends `s` as a JSON string literal (quotes included), escaped as
/// nlohmann escapes without `ensure_ascii`: `"` `\` and control characters
/// (\b \f \n \r \t, the others as \u00xx); valid UTF-8 is copied as it is;
/// a string with invalid UTF-8 is written by nlohmann itself, which replaces
/// each invalid sequence with U+FFFD.
void AppendJsonString(std::string& out, std::string_view s);

/// True when `text` is one JSON object (RFC 8259, valid UTF-8, nesting at
/// most 32 deep) and nothing else: text that can be copied into an answer as
/// it is. A fraction of a parse's cost (no DOM); false for anything it is
/// not sure of, so a true answer is always right (tested against nlohmann).
bool IsJsonObject(std::string_view text);

/// A forward-only writer of one JSON value into `out`; commas are its job.
/// Keys are written as given: callers pass plain ASCII names. `out` must
/// outlive the writer.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  void Key(std::string_view key) {
    Separate();
    out_ += '"';
    out_ += key;
    out_ += "\":";
    after_key_ = true;
  }

  void String(std::string_view s) {
    Separate();
    AppendJsonString(out_, s);
  }
  void Int(std::int64_t n);
  void Bool(bool b) {
    Separate();
    out_ += b ? "true" : "false";
  }
  void Null() {
    Separate();
    out_ += "null";
  }
  /// Any value (numbers with a fraction, nested documents), through nlohmann.
  void Value(const nlohmann::json& value);
  /// JSON text the caller knows to be one valid value, copied as it is.
  void Raw(std::string_view json) {
    Separate();
    out_ += json;
  }

  // The fields of a lean record: a key only when there is something to say.
  void StringField(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void NonEmptyString(std::string_view key, std::string_view value) {
    if (!value.empty()) StringField(key, value);
  }
  void IntField(std::string_view key, std::int64_t value) {
    Key(key);
    Int(value);
  }

  std::string& out() { return out_; }

 private:
  void Separate() {
    if (after_key_)
      after_key_ = false;
    else if (!first_)
      out_ += ',';
    first_ = false;
  }
  void Open(char c) {
    Separate();
    out_ += c;
    first_ = true;
  }
  void Close(char c) {
    out_ += c;
    first_ = false;
  }

  std::string& out_;
  bool first_ = true;      // nothing written yet in the open container
  bool after_key_ = false;  // a key was written: its value needs no comma
};

}  // namespace vidkeep
