#include "dasflow/atoms/iir_filter.hpp"

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

namespace {

constexpr const char* band_name(BandType b) {
  switch (b) {
  case BandType::lowpass: return "lowpass";
  case BandType::highpass: return "highpass";
  case BandType::bandpass: return "bandpass";
  case BandType::bandstop: return "bandstop";
  }
  return "?";
}

constexpr const char* family_name(FilterFamily f) {
  switch (f) {
  case FilterFamily::butter: return "butter";
  case FilterFamily::cheby1: return "cheby1";
  case FilterFamily::cheby2: return "cheby2";
  case FilterFamily::ellip: return "ellip";
  }
  return "?";
}

} // namespace

std::unique_ptr<Atom> IirFilter::from_config(ConfigReader& r) {
  Config c;
  c.order = static_cast<int>(r.integer("order", 4, 1, 32));
  c.cutoff_hz = r.numbers("cutoff", true);
  const std::string btype = r.choice("btype", "bandpass", {"lowpass", "highpass", "bandpass", "bandstop"});
  const std::string ftype = r.choice("ftype", "butter", {"butter", "cheby1", "cheby2", "ellip"});
  for (auto b : {BandType::lowpass, BandType::highpass, BandType::bandpass, BandType::bandstop})
    if (btype == band_name(b)) c.btype = b;
  for (auto f : {FilterFamily::butter, FilterFamily::cheby1, FilterFamily::cheby2, FilterFamily::ellip})
    if (ftype == family_name(f)) c.ftype = f;

  const bool two_edges = c.btype == BandType::bandpass || c.btype == BandType::bandstop;
  if (!c.cutoff_hz.empty()) {
    if (two_edges && (c.cutoff_hz.size() != 2 || !(c.cutoff_hz[0] > 0.0 && c.cutoff_hz[0] < c.cutoff_hz[1])))
      r.error("cutoff", btype + " needs [low, high] in Hz with 0 < low < high");
    if (!two_edges && (c.cutoff_hz.size() != 1 || !(c.cutoff_hz[0] > 0.0)))
      r.error("cutoff", btype + " needs one positive frequency in Hz");
  }

  const bool uses_rp = c.ftype == FilterFamily::cheby1 || c.ftype == FilterFamily::ellip;
  const bool uses_rs = c.ftype == FilterFamily::cheby2 || c.ftype == FilterFamily::ellip;
  const auto rp = r.optional_number("rp");
  const auto rs = r.optional_number("rs");
  if (uses_rp && !rp) r.error("rp", ftype + " needs the passband ripple rp in dB");
  if (!uses_rp && rp) r.error("rp", "applies only to cheby1 and ellip, not " + ftype);
  if (uses_rs && !rs) r.error("rs", ftype + " needs the stopband attenuation rs in dB");
  if (!uses_rs && rs) r.error("rs", "applies only to cheby2 and ellip, not " + ftype);
  if (rp && !(*rp > 0.0)) r.error("rp", "must be > 0 dB, got " + YamlFlowMap::format(*rp));
  if (rs && !(*rs > 0.0)) r.error("rs", "must be > 0 dB, got " + YamlFlowMap::format(*rs));
  if (rp && rs && c.ftype == FilterFamily::ellip && !(*rs > *rp))
    r.error("rs", "must exceed rp (" + YamlFlowMap::format(*rp) + " dB), got " + YamlFlowMap::format(*rs));
  c.rp_db = rp.value_or(0.0);
  c.rs_db = rs.value_or(0.0);
  return std::make_unique<IirFilter>(std::move(c));
}

Result<StreamInfo> IirFilter::configure(const StreamInfo& in) {
  if (!(in.fs_hz > 0.0)) return origin_.error("", "input stream has no sampling rate");
  for (double f : config_.cutoff_hz)
    if (!(f < in.nyquist_hz()))
      return origin_.error("cutoff",
                           "must be below the Nyquist frequency of the input (" + YamlFlowMap::format(in.nyquist_hz()) +
                               " Hz at fs = " + YamlFlowMap::format(in.fs_hz) + " Hz), got " + YamlFlowMap::format(f));
  auto sos = design_iir_sos(config_, in.fs_hz);
  if (!sos.ok()) return origin_.error("", sos.error().message);
  cascade_.configure(std::move(sos).value(), in.n_channels);
  return in;
}

Result<void> IirFilter::process(const ChunkView& in, Chunk& out) {
  process_by_columns(in, out);
  return {};
}

std::string IirFilter::config_yaml() const {
  YamlFlowMap m("iirfilter");
  m.add("order", static_cast<std::int64_t>(config_.order))
      .add("cutoff", config_.cutoff_hz)
      .add("btype", band_name(config_.btype))
      .add("ftype", family_name(config_.ftype));
  if (config_.ftype == FilterFamily::cheby1 || config_.ftype == FilterFamily::ellip) m.add("rp", config_.rp_db);
  if (config_.ftype == FilterFamily::cheby2 || config_.ftype == FilterFamily::ellip) m.add("rs", config_.rs_db);
  return m.str();
}

} // namespace dasflow::atoms
