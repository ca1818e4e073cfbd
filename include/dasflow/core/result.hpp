#pragma once
/// \file result.hpp
/// Result<T>: a value or an Error. A project type because std::expected needs C++23 on gcc 12 and is
/// missing with clang 14, and tl::expected is not packaged in Debian (STYLE.md §7).

#include <string>
#include <utility>
#include <variant>

namespace dasflow {

/// What kind of failure an Error reports; callers branch on this, humans read the message.
enum class Errc { config, io, protocol, discontinuity, state_mismatch, internal };

/// A failure: a code and a message that names where it happened (YAML path, stream index, file).
struct Error {
  Errc code = Errc::internal;
  std::string message;
};

/// Builds an Error; `Result<T> r = fail(Errc::config, "pipeline[0].order: ...")` converts implicitly.
inline Error fail(Errc code, std::string message) { return Error{code, std::move(message)}; }

/// Holds either a T or an Error. Access the value only after checking `ok()`.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  /// The value, or `fallback` on an error (for optional, descriptive fields).
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

private:
  std::variant<T, Error> v_;
};

/// Result of an operation that yields nothing but may fail.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

private:
  Error error_;
  bool failed_ = false;
};

} // namespace dasflow

/// Declares `var` from a Result expression, or returns its Error from the enclosing function.
#define DASFLOW_TRY_ASSIGN(var, expr)                                                                                  \
  auto var##_result_ = (expr);                                                                                         \
  if (!var##_result_.ok()) return std::move(var##_result_).error();                                                    \
  auto var = std::move(var##_result_).value()

/// Evaluates a Result<void> expression and returns its Error from the enclosing function.
#define DASFLOW_TRY(expr)                                                                                              \
  do {                                                                                                                 \
    auto dasflow_try_result_ = (expr);                                                                                 \
    if (!dasflow_try_result_.ok()) return std::move(dasflow_try_result_).error();                                      \
  } while (false)
