#include "dasflow/daemon/checkpoint_report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "dasflow/io/checkpoint_store.hpp"

namespace dasflow::daemon {

namespace {

namespace fs = std::filesystem;

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// Short form of a vector: all values when few, else length, range and the first ones.
template <typename T> std::string vector_summary(const std::vector<T>& v, const char* type) {
  std::ostringstream s;
  s << "[" << type << " x " << v.size() << "]";
  if (v.empty()) return s.str();
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const auto show = [](T x) {
    if constexpr (std::is_floating_point_v<T>)
      return number(x);
    else
      return std::to_string(x);
  };
  if (v.size() <= 6) {
    s << " {";
    for (std::size_t i = 0; i < v.size(); ++i)
      s << (i ? ", " : "") << show(v[i]);
    s << "}";
  } else {
    s << " min " << show(*lo) << " max " << show(*hi) << ", first {" << show(v[0]) << ", " << show(v[1]) << ", "
      << show(v[2]) << ", ...}";
  }
  return s.str();
}

void print_tree(std::ostringstream& out, const StateTree& t, int depth) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  out << pad << t.kind() << " (v" << t.version() << ")\n";
  for (const auto& [name, value] : t.values()) {
    out << pad << "  " << name << ": ";
    if (const auto* i = std::get_if<std::int64_t>(&value)) out << *i;
    if (const auto* d = std::get_if<double>(&value)) out << number(*d);
    if (const auto* s = std::get_if<std::string>(&value)) {
      if (s->find('\n') == std::string::npos) {
        out << *s;
      } else {
        std::istringstream lines(*s);
        std::string line;
        while (std::getline(lines, line))
          out << "\n" << pad << "    " << line;
      }
    }
    if (const auto* vd = std::get_if<std::vector<double>>(&value)) out << vector_summary(*vd, "float64");
    if (const auto* vi = std::get_if<std::vector<std::int64_t>>(&value)) out << vector_summary(*vi, "int64");
    out << "\n";
  }
  for (const StateTree& c : t.children())
    print_tree(out, c, depth + 1);
}

} // namespace

Result<std::string> checkpoint_report(const std::string& path) {
  std::ostringstream out;
  std::string file = path;
  std::error_code ec;
  StateTree tree;
  if (fs::is_directory(path, ec)) {
    io::CheckpointStore store(path);
    DASFLOW_TRY_ASSIGN(loaded, store.load_latest());
    if (!loaded) return fail(Errc::io, path + ": no checkpoint in this directory");
    for (const std::string& why : loaded->skipped)
      out << "skipped (unusable): " << why << "\n";
    file = loaded->path;
    tree = std::move(loaded->tree);
  } else {
    DASFLOW_TRY_ASSIGN(t, io::read_state_file(path));
    tree = std::move(t);
  }
  const auto size = fs::file_size(file, ec);
  out << "checkpoint " << file << " (" << (ec ? 0 : size) << " bytes, checksum ok)\n";
  if (tree.kind() == "dasflow-checkpoint") {
    const auto str = [&](const char* k) { return tree.get_string(k).value_or("?"); };
    const auto num = [&](const char* k) { return tree.get_double(k).value_or(0.0); };
    const auto integer = [&](const char* k) { return tree.get_int(k).value_or(0); };
    out << "  created:      " << str("created") << " by dasflow " << str("software_version") << "\n";
    out << "  stream:       " << str("name") << ", " << integer("input_channels") << " channels at "
        << number(num("input_fs_hz")) << " Hz in, " << number(num("output_fs_hz")) << " Hz out\n";
    if (integer("have_position") != 0)
      out << "  resumes at:   input index " << integer("next_input_index") << " (" << str("next_input_time") << ")\n";
    else
      out << "  resumes at:   the start of the stream (nothing processed yet)\n";
    out << "  stream ended: " << (integer("stream_complete") != 0 ? "yes" : "no") << "\n";
    out << "  config hash:  " << str("config_hash") << "\n";
    out << "  chunks processed before it: " << integer("chunks_processed") << "\n";
  }
  out << "\n";
  print_tree(out, tree, 0);
  return out.str();
}

} // namespace dasflow::daemon
