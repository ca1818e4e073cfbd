#include "dasflow/io/compression.hpp"

#include <algorithm>
#include <cstdlib>

#include <blosc.h>

#include "hdf5_util.hpp"

namespace dasflow::io {

namespace {

/// Blosc's client values: 0-3 are filled by the plugin's set_local (format versions, type size,
/// chunk bytes); then level, shuffle, compressor. Zstd level 1: on band-passed DAS noise level 3
/// compressed 7 % further for 3 times the time (docs/performance.md).
std::vector<unsigned> blosc_params(unsigned level, unsigned compressor) {
  return {0, 0, 0, 0, level, BLOSC_SHUFFLE, compressor};
}

const char* package_of(unsigned filter_id) {
  return filter_id == kBloscFilterId ? "hdf5-filter-plugin-blosc-serial" : "hdf5-filter-plugin";
}

} // namespace

const std::vector<std::string>& compression_names() {
  static const std::vector<std::string> names{"none", "lz4", "blosc-zstd"};
  return names;
}

const std::string& compression_name(Compression c) { return compression_names().at(static_cast<std::size_t>(c)); }

std::vector<FilterStep> compression_filters(Compression c) {
  switch (c) {
  case Compression::none: return {};
  case Compression::lz4: return {{kShuffleFilterId, {}}, {kLz4FilterId, {}}};
  case Compression::blosc_zstd: return {{kBloscFilterId, blosc_params(1, BLOSC_ZSTD)}};
  }
  return {};
}

Result<void> check_compression_available(Compression c, const std::string& where) {
  const Hdf5Lock lock;
  const QuietHdf5 quiet;
  for (const FilterStep& step : compression_filters(c)) {
    // H5Zfilter_avail also searches the plugin directories (HDF5 >= 1.8.11).
    const auto id = static_cast<H5Z_filter_t>(step.id);
    unsigned flags = 0;
    if (H5Zfilter_avail(id) > 0 && H5Zget_filter_info(id, &flags) >= 0 &&
        (flags & H5Z_FILTER_CONFIG_ENCODE_ENABLED) != 0)
      continue;
    const char* plugin_path = std::getenv("HDF5_PLUGIN_PATH");
    return fail(
        Errc::config,
        where + ": compression " + compression_name(c) + " needs HDF5 filter " + std::to_string(step.id) +
            ", which this HDF5 cannot load: install the Debian package " + package_of(step.id) +
            (plugin_path != nullptr ? std::string(" (HDF5_PLUGIN_PATH is ") + plugin_path + ")" : std::string()));
  }
  return {};
}

void set_compression_threads(unsigned n) {
  blosc_set_nthreads(static_cast<int>(std::clamp(n, 1u, 256u)));
  blosc_set_blocksize(std::size_t{128} << 10);
}

} // namespace dasflow::io
