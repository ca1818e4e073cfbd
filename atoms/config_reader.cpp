#include "dasflow/core/config_reader.hpp"

#include <cmath>
#include <cstdlib>

namespace dasflow {

int yaml_line(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  return m.line < 0 ? 0 : m.line + 1;
}

namespace {

/// A scalar written without quotes: yaml-cpp tags quoted scalars "!", plain ones "?" or "".
bool is_plain_scalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() != "!"; }

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return is_plain_scalar(n) ? "'" + n.Scalar() + "'" : "the string \"" + n.Scalar() + "\"";
}

/// Parses a plain YAML scalar as a finite double with strtod (yaml-cpp's own conversion accepts
/// things like "1e5abc" on some versions and not ".inf" consistently).
std::optional<double> parse_double(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

} // namespace

ConfigReader::ConfigReader(const YAML::Node& map, std::string path) : map_(map) {
  origin_.path = std::move(path);
  origin_.line = yaml_line(map);
  if (!map.IsMap()) {
    errors_.push_back(origin_.key_path("") + ": must be a mapping of keys to values, got " + describe(map) +
                      (origin_.line > 0 ? " (line " + std::to_string(origin_.line) + ")" : ""));
    return;
  }
  for (const auto& kv : map) {
    const int l = yaml_line(kv.first);
    origin_.key_lines[kv.first.Scalar()] = l > 0 ? l : origin_.line;
  }
}

bool ConfigReader::has(std::string_view key) const { return origin_.key_lines.count(key) != 0; }

void ConfigReader::known(std::string_view key) { known_.emplace(key); }

void ConfigReader::error(std::string_view key, std::string_view message) {
  errors_.push_back(origin_.error(key, message).message);
}

YAML::Node ConfigReader::get(std::string_view key) {
  known(key);
  if (!map_.IsMap() || !has(key)) return YAML::Node(YAML::NodeType::Undefined);
  return map_[std::string(key)];
}

std::optional<double> ConfigReader::scalar_number(const YAML::Node& n, std::string_view key, std::string_view where) {
  if (is_plain_scalar(n))
    if (auto v = parse_double(n.Scalar())) return v;
  error(key, std::string(where) + "must be a finite number, got " + describe(n));
  return std::nullopt;
}

std::int64_t ConfigReader::integer(std::string_view key, std::int64_t def, std::int64_t min, std::int64_t max) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return def;
  const auto v = is_plain_scalar(n) ? parse_double(n.Scalar()) : std::nullopt;
  if (!v || *v != std::floor(*v) || std::fabs(*v) > 9.0e15) {
    error(key, "must be an integer, got " + describe(n));
    return def;
  }
  const auto i = static_cast<std::int64_t>(*v);
  if (i < min || i > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(i));
    return def;
  }
  return i;
}

double ConfigReader::number(std::string_view key, double def) {
  const auto v = optional_number(key);
  return v ? *v : def;
}

std::optional<double> ConfigReader::optional_number(std::string_view key) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  return scalar_number(n, key, "");
}

std::vector<double> ConfigReader::numbers(std::string_view key, bool required) {
  const YAML::Node n = get(key);
  std::vector<double> out;
  if (!n.IsDefined()) {
    if (required) error(key, "is required");
    return out;
  }
  if (n.IsScalar()) {
    if (auto v = scalar_number(n, key, "")) out.push_back(*v);
    return out;
  }
  if (!n.IsSequence() || n.size() == 0) {
    error(key, "must be a number or a non-empty list of numbers, got " + describe(n));
    return out;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto v = scalar_number(n[i], key, "item " + std::to_string(i) + " ");
    if (!v) return {};
    out.push_back(*v);
  }
  return out;
}

std::vector<std::vector<double>> ConfigReader::matrix(std::string_view key, std::size_t row_length) {
  const YAML::Node n = get(key);
  std::vector<std::vector<double>> rows;
  if (!n.IsDefined()) {
    error(key, "is required");
    return rows;
  }
  if (!n.IsSequence() || n.size() == 0) {
    error(key, "must be a non-empty list of rows of " + std::to_string(row_length) + " numbers, got " + describe(n));
    return rows;
  }
  for (std::size_t r = 0; r < n.size(); ++r) {
    const YAML::Node row = n[r];
    const std::string where = "row " + std::to_string(r) + " ";
    if (!row.IsSequence() || row.size() != row_length) {
      error(key, where + "must be a list of " + std::to_string(row_length) + " numbers, got " +
                     (row.IsSequence() ? std::to_string(row.size()) + " values" : describe(row)));
      return {};
    }
    std::vector<double> values;
    for (std::size_t c = 0; c < row_length; ++c) {
      const auto v = scalar_number(row[c], key, where + "item " + std::to_string(c) + " ");
      if (!v) return {};
      values.push_back(*v);
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

bool ConfigReader::boolean(std::string_view key, bool def) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return def;
  if (is_plain_scalar(n) && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
  error(key, "must be true or false, got " + describe(n));
  return def;
}

std::string ConfigReader::choice(std::string_view key, std::string_view def,
                                 std::initializer_list<std::string_view> allowed) {
  return choice_of(key, def, std::vector<std::string_view>(allowed));
}

std::string ConfigReader::choice(std::string_view key, std::string_view def, const std::vector<std::string>& allowed) {
  return choice_of(key, def, std::vector<std::string_view>(allowed.begin(), allowed.end()));
}

std::string ConfigReader::choice_of(std::string_view key, std::string_view def,
                                    const std::vector<std::string_view>& allowed) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::string(def);
  if (n.IsScalar())
    for (std::string_view a : allowed)
      if (n.Scalar() == a) return std::string(a);
  std::string list;
  for (std::string_view a : allowed)
    list += (list.empty() ? "" : ", ") + std::string(a);
  error(key, "must be one of " + list + ", got " + describe(n));
  return std::string(def);
}

Result<void> ConfigReader::finish() const {
  std::vector<std::string> all = errors_;
  if (map_.IsMap()) {
    std::string known_list;
    for (const auto& k : known_)
      known_list += (known_list.empty() ? "" : ", ") + k;
    for (const auto& [key, line] : origin_.key_lines)
      if (known_.count(key) == 0)
        all.push_back(origin_.error(key, "unknown key (known keys: " + known_list + ")").message);
  }
  if (all.empty()) return {};
  std::string m;
  for (const auto& e : all)
    m += (m.empty() ? "" : "\n") + e;
  return fail(Errc::config, std::move(m));
}

} // namespace dasflow
