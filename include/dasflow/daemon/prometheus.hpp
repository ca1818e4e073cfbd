#pragma once
/// \file prometheus.hpp
/// A writer for the Prometheus text exposition format, version 0.0.4 (the body of GET /metrics,
/// served as "text/plain; version=0.0.4; charset=utf-8"). The rules it follows, from
/// prometheus/docs: content/docs/instrumenting/exposition_formats.md ("Text-based format"):
///  - a family is introduced by "# HELP name text" and "# TYPE name type", before its first sample,
///    and only once per name; in HELP text, backslash and line feed are written \\ and \n;
///  - a sample is `name{label="value",...} value`, one per line, every line ending in '\n'
///    (the last one included); in label values, backslash, double quote and line feed are written
///    \\, \" and \n;
///  - values are Go ParseFloat numbers, with NaN, +Inf and -Inf for the special values.
/// Metric and label names are written as given: they are compile-time constants of the daemon
/// ([a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*), so nothing is checked at run time.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace dasflow::daemon {

/// The TYPE of a metric family (the format also has summary and histogram, which dasflow does not export).
enum class MetricType { counter, gauge, untyped };

/// One label of a sample: {name, value}; the value is escaped, the name written as given.
using PrometheusLabel = std::pair<std::string_view, std::string_view>;
/// The labels of a sample, written in this order: `{{"stream", "a"}, {"kind", "stalta"}}`.
using PrometheusLabels = std::initializer_list<PrometheusLabel>;

/// Accumulates one exposition: `family()` then its `sample()`s, for each family; `text()` is the body.
class PrometheusText {
public:
  /// Starts a metric family: "# HELP name help\n# TYPE name type\n".
  void family(std::string_view name, MetricType type, std::string_view help);

  /// One sample of the current family, `name{labels} value`. Written in the shortest form that reads
  /// back to the same double (std::to_chars); NaN, +Inf, -Inf for the special values.
  void sample(std::string_view name, double value, PrometheusLabels labels = {});
  /// One sample with an integer value, written exactly (a double would round counters above 2^53).
  void sample(std::string_view name, std::uint64_t value, PrometheusLabels labels = {});
  void sample(std::string_view name, std::int64_t value, PrometheusLabels labels = {});
  /// Any other integer type (int, unsigned, long long, ...), so `sample("x", 3)` is not ambiguous.
  template <std::integral T>
  requires(!std::same_as<T, bool>) void sample(std::string_view name, T value, PrometheusLabels labels = {}) {
    if constexpr (std::is_signed_v<T>)
      sample(name, static_cast<std::int64_t>(value), labels);
    else
      sample(name, static_cast<std::uint64_t>(value), labels);
  }

  /// The exposition so far.
  const std::string& text() const noexcept { return text_; }
  /// Moves the exposition out (for a handler that returns the body); the writer is left empty.
  std::string take() noexcept { return std::exchange(text_, {}); }

private:
  /// Writes `name{labels} ` (with the trailing space before the value).
  void begin_sample(std::string_view name, PrometheusLabels labels);

  std::string text_;
};

} // namespace dasflow::daemon
