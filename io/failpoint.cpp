#include "dasflow/io/failpoint.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace dasflow::io {

namespace {

struct Armed {
  std::string name;
  long hit_at = 0;
  int signo = SIGKILL;
  std::atomic<long> hits{0};
};

/// Parsed once from the environment; malformed entries are ignored (test-only input).
const std::vector<std::unique_ptr<Armed>>& armed() {
  static const std::vector<std::unique_ptr<Armed>> list = [] {
    std::vector<std::unique_ptr<Armed>> out;
    const char* env = std::getenv("DASFLOW_FAILPOINT");
    if (env == nullptr) return out;
    const std::string spec = env;
    std::size_t pos = 0;
    while (pos <= spec.size()) {
      const std::size_t end = std::min(spec.find(',', pos), spec.size());
      const std::string item = spec.substr(pos, end - pos);
      pos = end + 1;
      const std::size_t c1 = item.find(':');
      if (c1 == std::string::npos) continue;
      const std::size_t c2 = item.find(':', c1 + 1);
      auto a = std::make_unique<Armed>();
      a->name = item.substr(0, c1);
      a->hit_at = std::atol(item.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1).c_str());
      if (c2 != std::string::npos && item.substr(c2 + 1) == "term") a->signo = SIGTERM;
      if (a->hit_at > 0) out.push_back(std::move(a));
    }
    return out;
  }();
  return list;
}

} // namespace

void failpoint(std::string_view name) noexcept {
  for (const auto& a : armed())
    if (a->name == name && a->hits.fetch_add(1) + 1 == a->hit_at) std::raise(a->signo);
}

} // namespace dasflow::io
