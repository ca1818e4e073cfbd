#include "dasflow/daemon/prometheus.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace dasflow::daemon {

namespace {

/// HELP text escapes backslash and line feed only; label values also escape the double quote that
/// would otherwise end them (exposition_formats.md, "Text format details").
enum class Escape { help, label_value };

void append_escaped(std::string& out, std::string_view s, Escape escape) {
  for (const char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && escape == Escape::label_value)
      out += "\\\"";
    else
      out += c;
  }
}

template <typename T> void append_chars(std::string& out, T value) {
  std::array<char, 32> buf{}; // "-2.2250738585072014e-308" (24) and "-9223372036854775808" (20) fit
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), r.ptr);
}

std::string_view type_name(MetricType type) {
  switch (type) {
  case MetricType::counter: return "counter";
  case MetricType::gauge: return "gauge";
  case MetricType::untyped: return "untyped";
  }
  return "untyped";
}

} // namespace

void PrometheusText::family(std::string_view name, MetricType type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  append_escaped(text_, help, Escape::help);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type_name(type);
  text_ += '\n';
}

void PrometheusText::begin_sample(std::string_view name, PrometheusLabels labels) {
  text_ += name;
  if (labels.size() > 0) {
    char sep = '{';
    for (const auto& [label, value] : labels) {
      text_ += sep;
      text_ += label;
      text_ += "=\"";
      append_escaped(text_, value, Escape::label_value);
      text_ += '"';
      sep = ',';
    }
    text_ += '}';
  }
  text_ += ' ';
}

void PrometheusText::sample(std::string_view name, double value, PrometheusLabels labels) {
  begin_sample(name, labels);
  // Go's ParseFloat (what Prometheus reads with) accepts exactly these spellings of the specials.
  if (std::isnan(value))
    text_ += "NaN";
  else if (std::isinf(value))
    text_ += value > 0 ? "+Inf" : "-Inf";
  else
    append_chars(text_, value); // no precision argument: the shortest round-trip form
  text_ += '\n';
}

void PrometheusText::sample(std::string_view name, std::uint64_t value, PrometheusLabels labels) {
  begin_sample(name, labels);
  append_chars(text_, value);
  text_ += '\n';
}

void PrometheusText::sample(std::string_view name, std::int64_t value, PrometheusLabels labels) {
  begin_sample(name, labels);
  append_chars(text_, value);
  text_ += '\n';
}

} // namespace dasflow::daemon
