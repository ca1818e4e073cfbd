#pragma once
/// \file prodml_file.hpp
/// One output file in PRODML 2.0 (PROTOCOLS.md §3, `format: prodml`), written with the HDF5 C
/// library. Names and types follow the real Silixa iDAS PRODML 2.0 file
/// (data/real/das/prodml_2.0.h5) for everything dasflow knows, which is what DASCore's and xdas's
/// prodml readers use:
///
/// ```
/// /                         uuid (str36); dasflow_version, dasflow_pipeline (vlen UTF-8 str);
///                           dasflow_fs_hz (f64), dasflow_origin_ns, dasflow_first_index,
///                           dasflow_channel_first, dasflow_channel_step (i64), dasflow_channel_dx_m (f64)
/// /Acquisition              schemaVersion "2.0", uuid, AcquisitionId (uuid), VendorCode "dasflow <version>",
///                           MeasurementStartTime (ISO), NumberOfLoci (i64), StartLocusIndex (i64),
///                           SpatialSamplingInterval (f64, = step·dx), SpatialSamplingIntervalUnit "m",
///                           MinimumFrequency 0.0 (f64), MaximumFrequency fs/2 (f64), TriggeredMeasurement 0 (u8)
/// /Acquisition/Raw[0]       NumberOfLoci (i64), OutputDataRate fs (f64), RawIndex 0 (u64),
///                           StartLocusIndex (i64), uuid
///   RawData     float32 (time, locus), maxdims (UNLIMITED, m), chunked (chunk_rows, m)
///               Count (i64, nt·m), Dimensions ["time", "locus"] (str5[2]), PartStartTime,
///               PartEndTime (ISO), StartIndex (i64, absolute index of row 0)
///   RawDataTime int64 µs since the epoch (time), maxdims UNLIMITED
///               Count (i64, nt), PartStartTime, PartEndTime, StartTime (ISO), StartIndex (i64)
/// ```
/// Strings other than the dasflow_* ones are fixed-length ASCII (xdas calls `.decode()` on
/// PartStartTime/PartEndTime). ISO times are `YYYY-mm-ddTHH:MM:SS.ffffff+00:00`, the µs values of
/// RawDataTime (ns rounded to the nearest µs). StartLocusIndex = channel first / step, rounded to
/// the nearest integer when first is not a multiple of step (the exact channel numbers are in the
/// dasflow_* attributes). The file holds one contiguous run of samples: PRODML readers assume even
/// sampling between PartStartTime and PartEndTime.
///
/// A band-energy stream (atom `fbe`, StreamInfo::spectral of kind bands) is written as PRODML's
/// processed FBE product instead of Raw[0], laid out like OptaSense's files
/// (data/real/das/prodml_fbe_1.h5):
///
/// ```
/// /Acquisition/Processed/Fbe[0]  NumberOfLoci, OutputDataRate (1/hop), StartLocusIndex, TransformSize,
///                                TransformType "FFT", WindowFunction "HANNING", WindowOverlap, WindowSize
///                                (samples), FbeDataUnit, uuid
///   FbeData[b]   float32 (time, locus) per band b, + StartFrequency, EndFrequency (Hz, f64) and the
///                attributes of RawData above
///   FbeDataTime  int64 µs of each window's centre, attributes as RawDataTime
/// ```
/// MaximumFrequency is then the Nyquist frequency of the time series the bands were computed from.
/// A spectrogram has no PRODML layout: create() refuses it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dasflow/core/result.hpp"
#include "dasflow/core/stream.hpp"
#include "dasflow/io/compression.hpp"

namespace dasflow::io {

class ProdmlFile {
public:
  /// Creates (truncating) `path` with all groups, attributes and empty datasets. `first_index` is
  /// the absolute index of the first row the file will hold. `chunk_rows` >= 1. `compression`
  /// applies to the sample datasets (RawData, FbeData[b]); check_compression_available() first.
  static Result<ProdmlFile> create(std::string path, const StreamInfo& stream, std::int64_t first_index,
                                   std::string_view dasflow_version, std::string_view pipeline_yaml,
                                   std::size_t chunk_rows, Compression compression);

  ProdmlFile(ProdmlFile&& other) noexcept;
  ProdmlFile& operator=(ProdmlFile&& other) noexcept;
  ProdmlFile(const ProdmlFile&) = delete;
  ProdmlFile& operator=(const ProdmlFile&) = delete;
  /// Closes the file without reporting errors.
  ~ProdmlFile();

  /// Appends `n_rows` time-major rows; `first_index` must equal next_index() (the caller starts a
  /// new file at a gap). Updates Count/PartEndTime, then H5Fflush.
  Result<void> append(const float* rows, std::size_t n_rows, std::int64_t first_index);
  /// Closes every HDF5 object and the file. Idempotent.
  Result<void> close();

  const std::string& path() const noexcept { return path_; }
  std::size_t n_rows() const noexcept { return n_rows_; }
  std::int64_t next_index() const noexcept { return next_index_; }

private:
  ProdmlFile(std::string path, const StreamInfo& stream, std::int64_t first_index);
  void release() noexcept;

  std::string path_;
  StreamInfo stream_;
  std::int64_t file_id_ = -1;          ///< hid_t
  std::vector<std::int64_t> data_ids_; ///< RawData, or FbeData[0..n_bands)
  std::int64_t time_id_ = -1;          ///< RawDataTime or FbeDataTime
  std::size_t n_rows_ = 0;
  std::int64_t first_index_ = 0;
  std::int64_t next_index_ = 0;
  std::vector<std::int64_t> time_us_; ///< scratch for one append's RawDataTime values
};

} // namespace dasflow::io
