#pragma once
/// \file compression.hpp
/// Optional compression of the hdf5 output's sample data (`compression:` key of an hdf5 output).
///
/// Each choice is a pipeline of HDF5 filters that Debian ships, so that any HDF5 that can load the
/// plugins reads the files (Debian: packages hdf5-filter-plugin and hdf5-filter-plugin-blosc-serial
/// install them where libhdf5 looks by default; h5py wheels: `import hdf5plugin`):
///
/// | name         | HDF5 filters                                   | compressed by                 |
/// |--------------|------------------------------------------------|-------------------------------|
/// | `none`       | —                                              | (the default)                 |
/// | `lz4`        | shuffle (2, built in), LZ4 (32004)             | the writer thread, in HDF5    |
/// | `blosc-zstd` | Blosc (32001): byte shuffle, Zstd level 1      | Blosc's threads               |
///
/// The byte shuffle groups the four bytes of each float so that the slowly varying sign/exponent
/// bytes compress (the mantissa bytes of noise hardly do). Why not deflate: it runs at about
/// 0.04 GB/s (issue 9). LZ4 is fast enough for one thread; Zstd compresses better but slower, so
/// it goes through Blosc, which splits each HDF5 chunk into blocks compressed on its own threads
/// (set_compression_threads). Measured ratios and rates: docs/performance.md.
///
/// Only the sample datasets are compressed; coordinates, times and attributes are not.

#include <string>
#include <vector>

#include "dasflow/core/result.hpp"

namespace dasflow::io {

enum class Compression { none, lz4, blosc_zstd };

/// Registered HDF5 filter ids (https://github.com/HDFGroup/hdf5_plugins/blob/master/docs/RegisteredFilterPlugins.md).
inline constexpr unsigned kShuffleFilterId = 2; // H5Z_FILTER_SHUFFLE
inline constexpr unsigned kLz4FilterId = 32004;
inline constexpr unsigned kBloscFilterId = 32001;

/// One HDF5 filter of a compression's pipeline, with its client values.
struct FilterStep {
  unsigned id = 0;
  std::vector<unsigned> params;
};

/// The config names, in the order of the enum: "none", "lz4", "blosc-zstd".
const std::vector<std::string>& compression_names();
/// The config name of `c`.
const std::string& compression_name(Compression c);
/// `c`'s filters in pipeline order (empty for none).
std::vector<FilterStep> compression_filters(Compression c);

/// Whether this process's HDF5 can apply `c` (loading the plugins if it has to). Errc::config
/// naming `where` and the Debian package otherwise. Takes the HDF5 lock.
Result<void> check_compression_available(Compression c, const std::string& where);

/// Threads Blosc compresses (and decompresses) each chunk with, process-wide (>= 1), and Blosc's
/// block size set to 128 KiB: Blosc's own choice makes a 1-MiB HDF5 chunk one or two blocks, i.e.
/// one thread. Effective when HDF5's Blosc plugin uses the system libblosc, as Debian's does; a
/// plugin with its own copy of Blosc compresses on the writer thread.
void set_compression_threads(unsigned n);

} // namespace dasflow::io
