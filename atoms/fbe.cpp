#include "dasflow/atoms/fbe.hpp"

#include <cmath>

#include "dasflow/atoms/spectral_window.hpp"
#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

std::unique_ptr<Atom> Fbe::from_config(ConfigReader& r) {
  Config c;
  const auto window = r.optional_number("window");
  if (!window) r.error("window", "is required (seconds)");
  if (window && !(*window > 0.0)) r.error("window", "must be > 0 s, got " + YamlFlowMap::format(*window));
  c.window_s = window.value_or(1.0);
  c.overlap = r.number("overlap", 0.5);
  if (!(c.overlap >= 0.0 && c.overlap < 1.0))
    r.error("overlap",
            "is the fraction of a window shared with the next, in [0, 1), got " + YamlFlowMap::format(c.overlap));
  if (!r.has("bands")) r.error("bands", "is required: a list of [f1, f2] in Hz");
  c.bands = r.matrix("bands", 2);
  for (std::size_t b = 0; b < c.bands.size(); ++b)
    if (!(c.bands[b][0] >= 0.0 && c.bands[b][1] > c.bands[b][0]))
      r.error("bands", "band " + std::to_string(b) + " must be [f1, f2] with 0 <= f1 < f2, got [" +
                           YamlFlowMap::format(c.bands[b][0]) + ", " + YamlFlowMap::format(c.bands[b][1]) + "]");
  if (r.has("bands") && c.bands.empty()) r.error("bands", "needs at least one [f1, f2] band");
  c.detrend = r.choice("detrend", "none", {"none", "constant"});
  return std::make_unique<Fbe>(std::move(c));
}

Result<StreamInfo> Fbe::configure(const StreamInfo& in) {
  DASFLOW_TRY(require_time_series(in, "it transforms each channel's samples"));
  if (in.n_channels == 0) return origin_.error("", "needs at least one channel");
  const double n_exact = config_.window_s * in.fs_hz;
  const auto n = static_cast<std::size_t>(std::llround(n_exact));
  if (n < 4 || n > (1u << 22))
    return origin_.error("window", "must span 4 to 4194304 samples at the input rate (" +
                                       YamlFlowMap::format(in.fs_hz) + " Hz), got " + YamlFlowMap::format(n_exact));
  const auto overlap = static_cast<std::size_t>(std::llround(config_.overlap * static_cast<double>(n)));
  const std::size_t hop = n - std::min(overlap, n - 1);

  bin_width_hz_ = in.fs_hz / static_cast<double>(n);
  const std::size_t bins = n / 2 + 1;
  first_bin_.clear();
  end_bin_.clear();
  for (std::size_t b = 0; b < config_.bands.size(); ++b) {
    const double f1 = config_.bands[b][0], f2 = config_.bands[b][1];
    if (f2 > in.nyquist_hz())
      return origin_.error("bands", "band " + std::to_string(b) + " ends at " + YamlFlowMap::format(f2) +
                                        " Hz, above the Nyquist frequency of the input (" +
                                        YamlFlowMap::format(in.nyquist_hz()) + " Hz)");
    // Bins f with f1 <= f·df < f2; f2 == fs/2 takes the Nyquist bin too.
    std::size_t first = bins, end = 0;
    for (std::size_t f = 0; f < bins; ++f) {
      const double hz = static_cast<double>(f) * in.fs_hz / static_cast<double>(n);
      if (hz >= f1 && (hz < f2 || (f2 == in.nyquist_hz() && hz == f2))) {
        first = std::min(first, f);
        end = f + 1;
      }
    }
    if (first >= end)
      return origin_.error("bands", "band " + std::to_string(b) + " [" + YamlFlowMap::format(f1) + ", " +
                                        YamlFlowMap::format(f2) + "] Hz holds no frequency bin: bins are " +
                                        YamlFlowMap::format(bin_width_hz_) + " Hz apart with a " +
                                        YamlFlowMap::format(config_.window_s) + " s window");
    first_bin_.push_back(first);
    end_bin_.push_back(end);
  }

  auto window = periodic_window("hann", n);
  if (!window.ok()) return origin_.error("window", window.error().message);
  SlidingSpectrum::Setup s;
  s.n_channels = in.n_channels;
  s.nperseg = n;
  s.hop = hop;
  s.window = std::move(window).value();
  s.detrend_constant = config_.detrend == "constant";
  s.fs_hz = in.fs_hz;
  engine_.configure(std::move(s));
  n_channels_ = in.n_channels;

  auto axis = std::make_shared<SpectralAxis>();
  axis->kind = SpectralAxis::Kind::bands;
  for (const auto& band : config_.bands) {
    axis->low_hz.push_back(band[0]);
    axis->high_hz.push_back(band[1]);
  }
  axis->window_name = "hann";
  axis->unit = "unit^2";
  return engine_.output_stream(in, std::move(axis));
}

Result<void> Fbe::process(const ChunkView& in, Chunk& out) {
  const std::size_t n_bands = first_bin_.size(), nch = n_channels_, bins = engine_.n_bins();
  engine_.process_into(in, out, n_bands * nch, [&](float* y, std::size_t c0, std::size_t nb, const double* psd) {
    for (std::size_t j = 0; j < nb; ++j) {
      const double* p = psd + j * bins;
      for (std::size_t b = 0; b < n_bands; ++b) {
        double e = 0.0;
        for (std::size_t f = first_bin_[b]; f < end_bin_[b]; ++f)
          e += p[f]; // in frequency order, as numpy's sum over a short contiguous slice
        y[b * nch + c0 + j] = static_cast<float>(e * bin_width_hz_);
      }
    }
  });
  pass_events(in, out);
  return {};
}

std::string Fbe::config_yaml() const {
  YamlFlowMap m("fbe");
  m.add("window", config_.window_s).add("overlap", config_.overlap).add("bands", config_.bands);
  m.add("detrend", config_.detrend);
  return m.str();
}

} // namespace dasflow::atoms
