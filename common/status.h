// Status and Result<T>: the error model of edgeserve. Untrusted input (model files, requests,
// configs) yields a Status whose message names what was wrong and where; nothing aborts.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace edgeserve {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller's input is malformed (model file, tensor, option)
  kNotFound,          // a named file, model, tensor or attribute does not exist
  kUnimplemented,     // valid input that edgeserve does not support (yet)
  kOutOfRange,        // a size or index past its bound
  kResourceExhausted, // a memory or queue bound would be exceeded
  kFailedPrecondition,
  kInternal,          // a bug in edgeserve
  kUnavailable,       // not ready, or overloaded: the caller may retry later
  kDeadlineExceeded,  // a request's time limit passed before it ran
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message starts with `context: `, for adding where an error happened
  // (file, node, tensor) as it travels up.
  Status with_context(const std::string& context) const;
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status out_of_range(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status deadline_exceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }

// Result<T> holds a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(data_).is_ok() && "Result built from an OK Status");
  }

  bool is_ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace edgeserve

#define EDGE_CONCAT_INNER(a, b) a##b
#define EDGE_CONCAT(a, b) EDGE_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define EDGE_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::edgeserve::Status edge_status_ = (expr);      \
    if (!edge_status_.is_ok()) return edge_status_; \
  } while (0)

// Declares `lhs` from a Result expression, or returns its Status.
#define EDGE_ASSIGN_OR_RETURN(lhs, expr) \
  EDGE_ASSIGN_OR_RETURN_IMPL(EDGE_CONCAT(edge_result_, __LINE__), lhs, expr)
#define EDGE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.is_ok()) return tmp.status();           \
  lhs = std::move(tmp).value()
