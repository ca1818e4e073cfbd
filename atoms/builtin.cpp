#include "dasflow/atoms/builtin.hpp"

#include "dasflow/atoms/iir_filter.hpp"
#include "dasflow/atoms/lfilter.hpp"
#include "dasflow/atoms/sos_filter.hpp"

namespace dasflow::atoms {

void register_builtin_atoms(Registry& registry) {
  registry.add("iirfilter", &IirFilter::from_config);
  registry.add("sosfilter", &SosFilter::from_config);
  registry.add("lfilter", &LFilter::from_config);
}

Registry builtin_registry() {
  Registry r;
  register_builtin_atoms(r);
  return r;
}

} // namespace dasflow::atoms
