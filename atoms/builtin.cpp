#include "dasflow/atoms/builtin.hpp"

#include "dasflow/atoms/coincidence.hpp"
#include "dasflow/atoms/common_mode.hpp"
#include "dasflow/atoms/decimate.hpp"
#include "dasflow/atoms/envelope.hpp"
#include "dasflow/atoms/fbe.hpp"
#include "dasflow/atoms/fir_filter.hpp"
#include "dasflow/atoms/fk_filter.hpp"
#include "dasflow/atoms/iir_filter.hpp"
#include "dasflow/atoms/lfilter.hpp"
#include "dasflow/atoms/pointwise.hpp"
#include "dasflow/atoms/select.hpp"
#include "dasflow/atoms/sos_filter.hpp"
#include "dasflow/atoms/spectrogram.hpp"
#include "dasflow/atoms/sta_lta.hpp"
#include "dasflow/atoms/trigger.hpp"

namespace dasflow::atoms {

void register_builtin_atoms(Registry& registry) {
  registry.add("iirfilter", &IirFilter::from_config);
  registry.add("sosfilter", &SosFilter::from_config);
  registry.add("lfilter", &LFilter::from_config);
  registry.add("firfilter", &FirFilter::from_config);
  registry.add("decimate", &Decimate::from_config);
  registry.add("envelope", &Envelope::from_config);
  registry.add("stalta", &StaLta::from_config);
  registry.add("trigger", &Trigger::from_config);
  registry.add("coincidence", &Coincidence::from_config);
  registry.add("common_mode", &CommonMode::from_config);
  registry.add("select", &Select::from_config);
  registry.add("abs", &Pointwise::abs_from_config);
  registry.add("square", &Pointwise::square_from_config);
  registry.add("scale", &Pointwise::scale_from_config);
  registry.add("fkfilter", &FkFilter::from_config);
  registry.add("fbe", &Fbe::from_config);
  registry.add("spectrogram", &Spectrogram::from_config);
}

Registry builtin_registry() {
  Registry r;
  register_builtin_atoms(r);
  return r;
}

} // namespace dasflow::atoms
