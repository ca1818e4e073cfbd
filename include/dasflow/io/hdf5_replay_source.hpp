#pragma once
/// \file hdf5_replay_source.hpp
/// `source: {type: hdf5, path: FILE_OR_DIR, format: auto}`: vendor files replayed in time order as
/// one stream (DESIGN.md §4). Indices are anchored to the epoch from each file's start time, so a
/// hole between files is a gap and a replay agrees with a live run on every sample's index.

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dasflow/io/source.hpp"
#include "dasflow/io/vendor_hdf5.hpp"

namespace dasflow::io {

struct ReplayConfig {
  std::string path;            ///< a file or a directory of files
  std::string format = "auto"; ///< auto | asn | prodml
  double chunk_s = 1.0;        ///< chunk length handed to the pipeline
  /// Limits on what the files may ask of this process (`max_channels`, `max_chunk_bytes`): a file
  /// beyond them is refused at open() with the numbers, before anything is allocated for it.
  std::size_t max_channels = 1'000'000;
  std::size_t max_chunk_bytes = std::size_t{1} << 30; ///< rows per chunk × channels × 4 bytes
};

/// Parses `source:` keys of type hdf5; `path` names the YAML node in errors.
Result<ReplayConfig> parse_replay_config(const YAML::Node& node, const std::string& path);

class Hdf5ReplaySource final : public Source {
public:
  explicit Hdf5ReplaySource(ReplayConfig config) : config_(std::move(config)) {}

  /// Opens every file; they must share rate and channel layout. The stream's origin is chosen
  /// so that index 0 is at the epoch on the first file's sample grid.
  Result<StreamInfo> open() override;
  Result<bool> next(Chunk& out, const std::atomic<bool>& stop) override;
  /// Continues at the first row with an index >= `index` (in a later file if it falls in a hole).
  Result<void> seek(std::int64_t index) override;
  SourcePace pace() const noexcept override { return SourcePace::replay; }
  /// From the first file's first row to the end of the last file (after open()).
  std::optional<Extent> extent() const override;
  std::string describe() const override;

private:
  ReplayConfig config_;
  std::vector<VendorFile> files_;
  std::vector<std::int64_t> first_index_; ///< absolute index of each file's first row
  StreamInfo stream_;
  std::size_t chunk_rows_ = 1;
  std::size_t file_ = 0, row_ = 0; ///< next row to read
};

} // namespace dasflow::io
