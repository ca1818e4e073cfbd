#include "dasflow/daemon/app_config.hpp"

#include "dasflow/daemon/control_server.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

namespace dasflow::daemon {

namespace {

void add_error(std::string& errors, const std::string& e) { errors += (errors.empty() ? "" : "\n") + e; }

/// `source:` by its type.
void parse_source(const YAML::Node& node, AppConfig& cfg, std::string& errors) {
  const YAML::Node type = node.IsMap() ? node["type"] : YAML::Node();
  const std::string t = type.IsDefined() && type.IsScalar() ? type.Scalar() : "";
  if (t == "synthetic") {
    cfg.source.type = SourceConfig::Type::synthetic;
    if (auto s = io::SyntheticSource::parse(node, "source"); s.ok())
      cfg.source.synthetic = *s;
    else
      add_error(errors, s.error().message);
  } else if (t == "hdf5") {
    cfg.source.type = SourceConfig::Type::hdf5;
    if (auto s = io::parse_replay_config(node, "source"); s.ok())
      cfg.source.replay = *s;
    else
      add_error(errors, s.error().message);
  } else if (t == "asn" || t == "dasflow") {
    cfg.source.type = SourceConfig::Type::zmq;
    if (auto s = io::parse_zmq_source_config(node, "source"); s.ok())
      cfg.source.zmq = *s;
    else
      add_error(errors, s.error().message);
  } else {
    ConfigOrigin o{"source", yaml_line(node), {}};
    add_error(errors, o.error("type", "must be one of synthetic, hdf5, asn, dasflow, got '" + t + "'").message);
  }
}

void parse_outputs(const YAML::Node& list, AppConfig& cfg, std::string& errors) {
  if (!list.IsDefined()) return; // no outputs: processing only (useful for `dasflow check`)
  if (!list.IsSequence()) {
    add_error(errors, "outputs: must be a list of outputs (line " + std::to_string(yaml_line(list)) + ")");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = "outputs[" + std::to_string(i) + "]";
    ConfigReader r(list[i], path);
    OutputConfig out;
    const std::string type = r.choice("type", "", {"hdf5", "events", "zmq"});
    if (!r.has("type")) r.error("type", "is required (hdf5, events or zmq)");
    const YAML::Node p = r.has("path") ? list[i]["path"] : YAML::Node();
    r.known("path");
    const std::string where = p.IsDefined() && p.IsScalar() ? p.Scalar() : "";
    if (type == "hdf5") {
      out.type = OutputConfig::Type::hdf5;
      if (where.empty()) r.error("path", "is required: the directory the files go to");
      out.hdf5.dir = where;
      const YAML::Node prefix = r.has("prefix") ? list[i]["prefix"] : YAML::Node();
      r.known("prefix");
      if (r.has("prefix")) { // (a default YAML::Node() counts as defined)
        if (!prefix.IsScalar() || prefix.Scalar().empty() || prefix.Scalar().find('/') != std::string::npos)
          r.error("prefix", "must be a file-name prefix without '/'");
        else
          out.hdf5.prefix = prefix.Scalar();
      }
      out.hdf5.file_duration_s = r.number("file_duration", 60.0);
      if (!(out.hdf5.file_duration_s >= 1.0)) r.error("file_duration", "must be >= 1 s");
      out.hdf5.format =
          r.choice("format", "xdas", {"xdas", "prodml"}) == "prodml" ? io::FileFormat::prodml : io::FileFormat::xdas;
      const std::vector<std::string>& names = io::compression_names(); // in enum order
      const auto named = std::find(names.begin(), names.end(), r.choice("compression", "none", names));
      if (named != names.end()) out.hdf5.compression = static_cast<io::Compression>(named - names.begin());
    } else if (type == "events") {
      out.type = OutputConfig::Type::events;
      if (where.empty()) r.error("path", "is required: the JSON Lines file events are appended to");
      out.events_path = where;
    } else if (type == "zmq") {
      out.type = OutputConfig::Type::zmq;
      // Its own keys are checked by its parser; this reader only knows type (and rejects path).
      for (const char* k : {"address", "protocol", "hwm", "curve", "stream"})
        r.known(k);
      if (r.has("path")) r.error("path", "is not a key of a zmq output (it publishes at `address`)");
      if (auto z = io::parse_zmq_output_config(list[i], path); z.ok())
        out.zmq = *z;
      else
        add_error(errors, z.error().message);
    }
    if (auto e = r.finish(); !e.ok())
      add_error(errors, e.error().message);
    else
      cfg.outputs.push_back(out);
  }
}

} // namespace

Result<AppConfig> parse_app_config(const std::string& text, const std::string& file_name, const Registry& registry) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail(Errc::config, file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                  std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  // A document that is not a mapping (a bare word, a list) has no keys: yaml-cpp would throw on
  // the first root["source"] (found by fuzz/config_fuzz.cpp).
  if (!root.IsMap())
    return fail(Errc::config, file_name +
                                  ": the config must be a YAML mapping of keys (source:, pipeline:, "
                                  "outputs:, ...), not " +
                                  (root.IsNull()       ? std::string("an empty document")
                                   : root.IsSequence() ? std::string("a list")
                                                       : "the text \"" + root.Scalar().substr(0, 40) + "\""));
  AppConfig cfg;
  cfg.text = text;
  std::string errors;
  ConfigReader top(root, "");
  for (const char* k : {"source", "pipeline", "outputs"})
    top.known(k);
  if (!top.has("source")) top.error("source", "is required (e.g. {type: synthetic, channels: 1000, fs: 1000})");
  if (top.has("name")) {
    const YAML::Node n = root["name"];
    if (!n.IsScalar() || n.Scalar().empty())
      top.error("name", "must be a non-empty string");
    else
      cfg.name = n.Scalar();
  }
  top.known("name");
  const std::string on_gap = top.choice("on_gap", "continue", {"continue", "reset", "fail"});
  cfg.on_gap = on_gap == "reset" ? OnGap::reset : on_gap == "fail" ? OnGap::fail : OnGap::keep_state;
  cfg.queue_depth = static_cast<std::size_t>(top.integer("queue_depth", 4, 1, 1024));
  // `threads`: how many threads share the pipeline's channel tiles (docs/performance.md); `auto`
  // (the default) is one per core. The reader and the writer have their own threads besides.
  if (const YAML::Node t = root["threads"]; t && t.IsScalar() && t.Scalar() == "auto")
    top.known("threads");
  else if (t)
    cfg.threads = static_cast<std::size_t>(top.integer("threads", 1, 1, 256));
  if (top.has("logging")) {
    ConfigReader log(root["logging"], "logging");
    cfg.log_level = log.choice("level", "info", {"trace", "debug", "info", "warn", "error", "critical", "off"});
    cfg.stats_interval_s = log.number("stats_interval", cfg.stats_interval_s);
    if (!(cfg.stats_interval_s > 0)) log.error("stats_interval", "must be > 0 s");
    if (log.has("file")) {
      const YAML::Node f = root["logging"]["file"];
      if (!f.IsScalar() || f.Scalar().empty())
        log.error("file", "must be a file path");
      else
        cfg.log_file = f.Scalar();
    }
    log.known("file");
    if (auto e = log.finish(); !e.ok()) add_error(errors, e.error().message);
  }
  top.known("logging");
  if (top.has("checkpoint")) {
    ConfigReader ck(root["checkpoint"], "checkpoint");
    CheckpointConfig c;
    const YAML::Node p = ck.has("path") ? root["checkpoint"]["path"] : YAML::Node(); // has(): a mapping
    if (!p || !p.IsScalar() || p.Scalar().empty())
      ck.error("path", "is required: the directory for checkpoint files (e.g. /var/lib/dasflow/checkpoint)");
    else
      c.dir = p.Scalar();
    ck.known("path");
    c.interval_s = ck.number("interval", c.interval_s);
    if (!(c.interval_s >= 0 && c.interval_s < 1e6)) ck.error("interval", "must be in [0, 1e6) s (0 = every chunk)");
    c.keep = static_cast<std::size_t>(ck.integer("keep", 2, 2, 1000));
    if (auto e = ck.finish(); !e.ok()) add_error(errors, e.error().message);
    cfg.checkpoint = c;
  }
  top.known("checkpoint");
  if (top.has("control")) {
    ConfigReader ctl(root["control"], "control");
    cfg.control_listen = "127.0.0.1:9108";
    if (ctl.has("listen")) {
      const YAML::Node l = root["control"]["listen"];
      if (!l.IsScalar() || l.Scalar().empty())
        ctl.error("listen", "must be HOST:PORT, e.g. \"127.0.0.1:9108\"");
      else if (auto ep = parse_listen_address(l.Scalar()); !ep.ok())
        ctl.error("listen", ep.error().message);
      else
        cfg.control_listen = l.Scalar();
    }
    ctl.known("listen");
    if (auto e = ctl.finish(); !e.ok()) add_error(errors, e.error().message);
  }
  top.known("control");
  if (top.has("fft")) {
    ConfigReader fft(root["fft"], "fft");
    if (fft.has("wisdom")) {
      const YAML::Node w = root["fft"]["wisdom"];
      if (!w.IsScalar() || w.Scalar().empty())
        fft.error("wisdom", "must be a file path (FFTW wisdom, created on the first start)");
      else
        cfg.fft_wisdom = w.Scalar();
    }
    fft.known("wisdom");
    if (auto e = fft.finish(); !e.ok()) add_error(errors, e.error().message);
  }
  top.known("fft");
  if (auto e = top.finish(); !e.ok()) add_error(errors, e.error().message);
  if (top.has("source")) parse_source(root["source"], cfg, errors);
  if (auto pipe = registry.build_pipeline(root["pipeline"], "pipeline"); pipe.ok()) {
    cfg.pipeline = std::move(pipe).value();
    cfg.pipeline->set_threads(cfg.threads != 0 ? cfg.threads : std::max(1u, std::thread::hardware_concurrency()));
  } else
    add_error(errors, pipe.error().message);
  parse_outputs(root["outputs"], cfg, errors);

  if (!errors.empty()) {
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
