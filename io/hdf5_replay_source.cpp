#include "dasflow/io/hdf5_replay_source.hpp"

#include <cmath>
#include <cstdio>

#include "dasflow/core/config_reader.hpp"

namespace dasflow::io {

Result<ReplayConfig> parse_replay_config(const YAML::Node& node, const std::string& path) {
  ConfigReader r(node, path);
  ReplayConfig c;
  r.choice("type", "hdf5", {"hdf5"});
  const auto file = r.has("path") ? node["path"] : YAML::Node();
  r.known("path");
  if (!file.IsDefined() || !file.IsScalar() || file.Scalar().empty())
    r.error("path", "is required: a vendor HDF5 file or a directory of them");
  else
    c.path = file.Scalar();
  c.format = r.choice("format", "auto", {"auto", "asn", "prodml"});
  c.chunk_s = r.number("chunk", c.chunk_s);
  if (!(c.chunk_s > 0)) r.error("chunk", "must be > 0 s");
  c.max_channels = static_cast<std::size_t>(r.integer("max_channels", 1'000'000, 1, 1'000'000));
  c.max_chunk_bytes =
      static_cast<std::size_t>(r.integer("max_chunk_bytes", std::int64_t{1} << 30, 1 << 20, std::int64_t{1} << 36));
  DASFLOW_TRY(r.finish());
  return c;
}

Result<StreamInfo> Hdf5ReplaySource::open() {
  DASFLOW_TRY_ASSIGN(files, open_replay_set(config_.path, config_.format));
  if (files.empty()) return fail(Errc::io, config_.path + ": no DAS HDF5 files (*.h5, *.hdf5) found");
  files_ = std::move(files);
  const VendorFileInfo& head = files_.front().info();
  if (head.n_channels > config_.max_channels)
    return fail(Errc::io, head.path + ": " + std::to_string(head.n_channels) +
                              " channels, more than source.max_channels (" + std::to_string(config_.max_channels) +
                              ")");
  // A chunk is allocated whole: a file claiming a huge rate would otherwise ask for terabytes.
  const long double chunk_bytes =
      std::ceil(static_cast<long double>(config_.chunk_s) * static_cast<long double>(head.fs_hz)) *
      static_cast<long double>(head.n_channels) * 4.0L;
  if (chunk_bytes > static_cast<long double>(config_.max_chunk_bytes))
    return fail(Errc::io, head.path + ": a chunk of " + std::to_string(config_.chunk_s) + " s at " +
                              std::to_string(head.fs_hz) + " Hz × " + std::to_string(head.n_channels) +
                              " channels is " + std::to_string(static_cast<double>(chunk_bytes)) +
                              " bytes, more than " + "source.max_chunk_bytes (" +
                              std::to_string(config_.max_chunk_bytes) + "); lower source.chunk");
  stream_.fs_hz = head.fs_hz;
  stream_.n_channels = head.n_channels;
  stream_.coords = std::make_shared<const ChannelCoords>(head.coords);
  // Anchor: index i at origin_ns + i * period, with index counting samples since the epoch and
  // origin_ns in [0, period) (DESIGN.md §2). long double keeps the 1e18-ns products exact enough.
  const long double period = 1e9L / static_cast<long double>(head.fs_hz);
  const auto first = static_cast<std::int64_t>(std::floor(static_cast<long double>(head.start_ns) / period));
  stream_.origin_ns = head.start_ns - static_cast<std::int64_t>(std::llround(static_cast<long double>(first) * period));
  for (const VendorFile& f : files_) {
    const VendorFileInfo& i = f.info();
    if (i.fs_hz != head.fs_hz || i.n_channels != head.n_channels || !(i.coords == head.coords))
      return fail(Errc::io, i.path + ": rate or channel layout (" + std::to_string(i.fs_hz) + " Hz, " +
                                std::to_string(i.n_channels) + " channels) differs from " + head.path +
                                "; replay one layout at a time");
    first_index_.push_back(
        static_cast<std::int64_t>(std::llround(static_cast<long double>(i.start_ns - stream_.origin_ns) / period)));
  }
  chunk_rows_ = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(config_.chunk_s * head.fs_hz)));
  return stream_;
}

Result<bool> Hdf5ReplaySource::next(Chunk& out, const std::atomic<bool>& stop) {
  while (file_ < files_.size() && row_ >= files_[file_].info().n_samples)
    ++file_, row_ = 0;
  if (stop.load() || file_ >= files_.size()) return false;
  const VendorFile& f = files_[file_];
  // Chunks stay on the absolute chunk grid (multiples of chunk_rows), so a replay cuts the stream
  // at the same places whatever file boundaries or restart point it starts from.
  const std::int64_t index = first_index_[file_] + static_cast<std::int64_t>(row_);
  const auto grid = static_cast<std::int64_t>(chunk_rows_);
  const std::int64_t grid_end = (index / grid + 1) * grid;
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(grid_end - index), f.info().n_samples - row_);
  out.reshape(n, stream_.n_channels);
  out.first_index = index;
  out.events.clear();
  DASFLOW_TRY(f.read_rows(row_, n, out.samples.data()));
  row_ += n;
  return true;
}

Result<void> Hdf5ReplaySource::seek(std::int64_t index) {
  file_ = 0;
  row_ = 0;
  while (file_ < files_.size()) {
    const auto n = static_cast<std::int64_t>(files_[file_].info().n_samples);
    if (index < first_index_[file_] + n) {
      row_ = static_cast<std::size_t>(std::max<std::int64_t>(0, index - first_index_[file_]));
      return {};
    }
    ++file_;
  }
  return {}; // past the end: the replay is over
}

std::optional<Source::Extent> Hdf5ReplaySource::extent() const {
  if (files_.empty()) return std::nullopt;
  return Extent{first_index_.front(), first_index_.back() + static_cast<std::int64_t>(files_.back().info().n_samples)};
}

std::string Hdf5ReplaySource::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "hdf5 replay of %zu file(s) from %s: %zu channels at %g Hz, %zu-sample chunks",
                files_.size(), config_.path.c_str(), stream_.n_channels, stream_.fs_hz, chunk_rows_);
  return buf;
}

} // namespace dasflow::io
