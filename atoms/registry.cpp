#include "dasflow/core/registry.hpp"

#include "dasflow/core/assert.hpp"

namespace dasflow {

void Registry::add(std::string kind, Factory factory) {
  DASFLOW_ASSERT(!contains(kind), "atom registered twice");
  factories_.emplace(std::move(kind), std::move(factory));
}

std::vector<std::string> Registry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [k, f] : factories_)
    out.push_back(k);
  return out;
}

Result<std::unique_ptr<Atom>> Registry::create(const YAML::Node& entry, const std::string& path) const {
  ConfigReader reader(entry, path);
  if (!reader.is_mapping()) return reader.finish().error();
  reader.known("atom");
  if (!reader.has("atom")) return reader.origin().error("atom", "is required (one of the atom names, e.g. iirfilter)");
  const YAML::Node name = entry["atom"];
  const auto it = name.IsScalar() ? factories_.find(name.Scalar()) : factories_.end();
  if (it == factories_.end()) {
    std::string list;
    for (const auto& [k, f] : factories_)
      list += (list.empty() ? "" : ", ") + k;
    return reader.origin().error("atom", "unknown atom '" + (name.IsScalar() ? name.Scalar() : std::string("?")) +
                                             "' (known: " + list + ")");
  }
  std::unique_ptr<Atom> atom = it->second(reader);
  DASFLOW_TRY(reader.finish());
  DASFLOW_ASSERT(atom != nullptr, "factory returned no atom without reporting an error");
  atom->set_origin(reader.origin());
  return atom;
}

Result<std::unique_ptr<Sequential>> Registry::build_pipeline(const YAML::Node& list, const std::string& path) const {
  if (!list.IsDefined() || !list.IsSequence() || list.size() == 0) {
    const int line = list.IsDefined() ? yaml_line(list) : 0;
    return fail(Errc::config, path + ": must be a non-empty list of atoms" +
                                  (line > 0 ? " (line " + std::to_string(line) + ")" : std::string()));
  }
  auto seq = std::make_unique<Sequential>();
  std::string errors;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto atom = create(list[i], path + "[" + std::to_string(i) + "]");
    if (!atom.ok()) {
      errors += (errors.empty() ? "" : "\n") + atom.error().message;
      continue;
    }
    seq->append(std::move(atom).value());
  }
  if (!errors.empty()) return fail(Errc::config, std::move(errors));
  ConfigOrigin origin;
  origin.path = path;
  origin.line = yaml_line(list);
  seq->set_origin(std::move(origin));
  return seq;
}

} // namespace dasflow
