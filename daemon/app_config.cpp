#include "dasflow/daemon/app_config.hpp"

#include <fstream>
#include <sstream>

namespace dasflow::daemon {

Result<AppConfig> parse_app_config(const std::string& text, const std::string& file_name, const Registry& registry) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail(Errc::config, file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                  std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  ConfigReader top(root, "");
  top.known("source");
  top.known("pipeline");
  if (!top.has("source")) top.error("source", "is required (e.g. {type: synthetic, channels: 1000, fs: 1000})");
  std::string errors;
  if (auto r = top.finish(); !r.ok()) errors = r.error().message;

  AppConfig cfg;
  if (top.has("source")) {
    auto src = io::SyntheticSource::parse(root["source"], "source");
    if (src.ok())
      cfg.source = *src;
    else
      errors += (errors.empty() ? "" : "\n") + src.error().message;
  }
  auto pipe = registry.build_pipeline(root["pipeline"], "pipeline");
  if (pipe.ok())
    cfg.pipeline = std::move(pipe).value();
  else
    errors += (errors.empty() ? "" : "\n") + pipe.error().message;
  if (!errors.empty()) {
    // Prefix every line with the file so editors can jump to it.
    std::string out, line;
    std::istringstream in(errors);
    while (std::getline(in, line))
      out += (out.empty() ? "" : "\n") + file_name + ": " + line;
    return fail(Errc::config, out);
  }
  return cfg;
}

Result<AppConfig> load_app_config(const std::string& path, const Registry& registry) {
  std::ifstream f(path);
  if (!f) return fail(Errc::config, path + ": cannot read the config file");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_app_config(ss.str(), path, registry);
}

} // namespace dasflow::daemon
