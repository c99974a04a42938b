// Error reporting for the gemma-inference library. The library never aborts or
// throws across its public API on bad input: every fallible call returns a
// Status or a StatusOr<T> whose message names what was wrong (file, key,
// tensor, field).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gemma {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller passed something unusable
  kNotFound,           // a file, key or tensor does not exist
  kIoError,            // the OS refused (open, mmap, read, write)
  kCorruptData,        // a file's contents violate its format
  kUnsupported,        // valid but not handled (architecture, tensor type)
  kOutOfRange,         // a position, id or size beyond a configured limit
  kResourceExhausted,  // memory, KV cache or queue full
  kCancelled,          // the caller asked to stop
  kInternal,           // a bug in gemma-core
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CorruptData: model.gguf: tensor 'blk.0.attn_q.weight' ..."
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status CorruptData(std::string m) { return {StatusCode::kCorruptData, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "StatusOr needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace gemma

// Propagate a failed Status from the current function.
#define GEMMA_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::gemma::Status gemma_status_ = (expr);        \
    if (!gemma_status_.ok()) return gemma_status_; \
  } while (0)

#define GEMMA_CONCAT_INNER(a, b) a##b
#define GEMMA_CONCAT(a, b) GEMMA_CONCAT_INNER(a, b)
// `GEMMA_ASSIGN_OR_RETURN(auto x, Foo());` binds x or returns Foo()'s error.
#define GEMMA_ASSIGN_OR_RETURN(lhs, expr) \
  GEMMA_ASSIGN_OR_RETURN_IMPL(GEMMA_CONCAT(gemma_or_, __LINE__), lhs, expr)
// lhs is a declaration ("auto x") and tmp an identifier: neither can be
// parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define GEMMA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
