// libFuzzer target: the daemon's YAML config (DESIGN.md §4) — every key, the pipeline's atoms and
// their parameters. parse_app_config() must accept it or return an Error naming the file, key and
// line; it does no I/O, so any text is safe to try. Seeds: config/*.yaml.

#include <cstddef>
#include <cstdint>
#include <string>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/core/chunk.hpp"
#include "dasflow/daemon/app_config.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const dasflow::Registry registry = dasflow::atoms::builtin_registry();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = dasflow::daemon::parse_app_config(text, "fuzz.yaml", registry);
  if (!cfg.ok()) {
    FUZZ_CHECK(cfg.error().message.rfind("fuzz.yaml", 0) == 0); // errors name the file
    return 0;
  }
  // The daemon configures the pipeline with the source's stream: designing filters from fuzzed
  // parameters (orders, cutoffs, taps) must fail with an Error or give atoms that run.
  dasflow::StreamInfo s;
  s.fs_hz = 500.0;
  s.n_channels = 16;
  auto out = cfg->pipeline->configure(s);
  if (!out.ok()) return 0;
  FUZZ_CHECK(out->fs_hz > 0 && out->n_channels >= 1);
  dasflow::Chunk in, result;
  in.reshape(64, s.n_channels);
  for (std::size_t i = 0; i < in.samples.size(); ++i)
    in.samples.data()[i] = static_cast<float>(i % 7) - 3.0f;
  (void)cfg->pipeline->process(in.view(), result);
  return 0;
}
