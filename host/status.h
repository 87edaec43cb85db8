// Expected failures as values: every module returns a Status or a Result<T>
// and only main() exits. The codes are the wire error codes of
// PROTOCOL.md section 3; protocol.cpp is the only place that spells them.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vidkeep {

enum class ErrorCode {
  kBadRequest,
  kTooLarge,
  kInvalidUrl,
  kNotFound,
  kUnsupported,
  kUnauthorized,
  kUnavailable,  // disk full, database busy past its timeout: retry later
  kInternal,     // a bug
};

/// The outcome of an operation that can fail in an expected way.
class Status {
 public:
  Status() = default;  // ok

  static Status Error(ErrorCode code, std::string message) {
    return Status(code, std::move(message));
  }
  static Status BadRequest(std::string m) { return Error(ErrorCode::kBadRequest, std::move(m)); }
  static Status InvalidUrl(std::string m) { return Error(ErrorCode::kInvalidUrl, std::move(m)); }
  static Status NotFound(std::string m) { return Error(ErrorCode::kNotFound, std::move(m)); }
  static Status Unavailable(std::string m) { return Error(ErrorCode::kUnavailable, std::move(m)); }
  static Status Internal(std::string m) { return Error(ErrorCode::kInternal, std::move(m)); }

  bool ok() const { return !code_.has_value(); }
  ErrorCode code() const { return code_.value_or(ErrorCode::kInternal); }
  const std::string& message() const { return message_; }
  /// Whether the same request may succeed later unchanged.
  bool retryable() const { return code_ == ErrorCode::kUnavailable; }

 private:
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  std::optional<ErrorCode> code_;
  std::string message_;
};

/// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vidkeep
