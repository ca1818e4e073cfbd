// dasflow_fuzz_seeds <corpus dir> <repo dir> <real data dir>: writes the seed corpus of every fuzz
// target into <corpus dir>/<target>/ — messages from our own encoders and ASN headers in the
// layouts real interrogators send, the example configs, checkpoint files and pipeline states of
// real runs, and the real vendor recordings. Generated, not committed: the encoders are the source.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dasflow/io/asn_protocol.hpp"
#include "dasflow/io/checkpoint_store.hpp"
#include "dasflow/io/dasflow_protocol.hpp"
#include "fuzz_pipelines.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dasflow;

void put(const fs::path& dir, const std::string& name, const void* data, std::size_t size) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}
void put(const fs::path& dir, const std::string& name, const std::string& s) { put(dir, name, s.data(), s.size()); }

/// ASN headers: ours, and the shapes OptoDAS units send (integer data, units, sensitivities,
/// several ROIs, dt in other units).
std::vector<std::string> asn_headers() {
  io::asn::HeaderFields f;
  f.n_channels = 16;
  f.packages_per_message = 8;
  f.dt_s = 1e-3;
  f.dx_m = 1.02;
  f.roi_start = 100;
  f.roi_dec = 2;
  f.unit = "rad/(s m)";
  f.experiment = "fuzz";
  std::vector<std::string> h = {io::asn::encode_header(f)};
  h.push_back(R"j({"bytesPerPackage":8,"nPackagesPerMessage":4,"nChannels":4,"dataType":"short","dt":500,)j"
              R"j("dtUnit":"us","dx":4.08,"dxUnit":"m","roiTable":[{"roiStart":0,"roiEnd":2,"roiDec":2},)j"
              R"j({"roiStart":10,"roiEnd":14,"roiDec":4}],"trustedTimeSource":true,"dataScale":2.5e-05,)j"
              R"j("unit":"rad","gaugeLength":10.2,"sensitivities":[{"factor":9.36e6,"unit":"rad/(strain*m)"}],)j"
              R"j("experiment":"x","measurement":"m","instrument":"OptoDAS"})j");
  h.push_back(R"j({"bytesPerPackage":24,"nPackagesPerMessage":2,"nChannels":3,"dataType":"long","dt":1.0,)j"
              R"j("dtUnit":"ms","dx":1,"roiTable":[{"roiStart":5,"roiEnd":7,"roiDec":1}]})j");
  h.push_back(R"j({"bytesPerPackage":16,"nPackagesPerMessage":1,"nChannels":2,"dataType":"double","dt":1e6,)j"
              R"j("dtUnit":"ns","dx":2.0,"roiTable":[{"roiStart":0,"roiEnd":1,"roiDec":1}],"dataScale":1.0})j");
  return h;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <corpus dir> <repo dir> <real data dir>\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1], repo = argv[2], real = argv[3];

  const auto headers = asn_headers();
  for (std::size_t i = 0; i < headers.size(); ++i)
    put(out / "asn_header", "header" + std::to_string(i), headers[i]);

  // asn_data: 4 selector bytes (type, channels, flags, packages) then a message.
  for (std::uint8_t type = 0; type < 5; ++type) {
    static constexpr std::size_t kSize[] = {2, 4, 8, 4, 8};
    const std::size_t n_ch = 8, n_pk = 4;
    std::vector<std::uint8_t> m = {type, static_cast<std::uint8_t>(n_ch - 1), static_cast<std::uint8_t>(2 | (type & 1)),
                                   static_cast<std::uint8_t>(n_pk - 1)};
    const std::int64_t t0 = 1'700'000'000'123'456'789;
    m.resize(4 + 8 + n_ch * n_pk * kSize[type]);
    std::memcpy(m.data() + 4, &t0, 8);
    for (std::size_t i = 12; i < m.size(); ++i)
      m[i] = static_cast<std::uint8_t>(i * 37 % 251);
    put(out / "asn_data", "data" + std::to_string(type), m.data(), m.size());
  }

  // Two runs of the fuzz pipelines: states, events, and the stream they produce.
  StateTree root("dasflow_checkpoint", 1);
  root.set("next_input_index", fuzz::kSeedRows);
  root.set("pipeline_yaml", std::string(fuzz::kPipelines[0]));
  std::vector<Event> events;
  for (std::uint8_t which = 0; which < fuzz::kPipelines.size(); ++which) {
    auto p = fuzz::make_pipeline(which);
    if (!p) {
      std::fprintf(stderr, "fuzz pipeline %d does not configure\n", which);
      return 1;
    }
    Chunk o;
    for (std::int64_t first = 0; first < fuzz::kSeedRows; first += 200) {
      if (!p->process(fuzz::synthetic_chunk(first, 200).view(), o).ok()) return 1;
      events.insert(events.end(), o.events.begin(), o.events.end());
    }
    const StateTree state = p->save_state();
    std::vector<std::uint8_t> bytes = state.serialize();
    bytes.insert(bytes.begin(), which);
    put(out / "pipeline_state", "state" + std::to_string(which), bytes.data(), bytes.size());
    root.add_child(state);
  }
  fs::create_directories(out / "checkpoint_file");
  if (!io::write_state_file((out / "checkpoint_file" / "checkpoint0.h5").string(), root).ok()) return 1;

  StreamInfo s;
  s.fs_hz = 250.0;
  s.origin_ns = 1'700'000'000'000'000'000;
  s.n_channels = 12;
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{40, 2, 1.02});
  auto h = io::wire::header_of(s, 123456, 50);
  h.stream = "fuzz";
  h.seq = 7;
  h.units = "strain/s";
  put(out / "dasflow_data", "data0", io::wire::encode_data_header(h));
  h.gap_before = true;
  h.first_index = -5;
  put(out / "dasflow_data", "data1", io::wire::encode_data_header(h));
  // A spectral product's header (fbe: 3 bands of n_channels / 3 locations).
  auto bands = std::make_shared<SpectralAxis>();
  bands->kind = SpectralAxis::Kind::bands;
  bands->low_hz = {1, 10, 50};
  bands->high_hz = {10, 50, 250};
  bands->window_samples = 256;
  bands->overlap_samples = 128;
  bands->input_fs_hz = 500;
  bands->window_name = "hann";
  bands->unit = "unit^2";
  h.n_channels = 3 * (h.n_channels / 3 + 1);
  bands->n_locations = h.n_channels / 3;
  h.spectral = bands;
  put(out / "dasflow_data", "data2", io::wire::encode_data_header(h));
  h.spectral = nullptr;
  put(out / "dasflow_events", "events0", io::wire::encode_events_header("fuzz", 3, events, s));
  put(out / "dasflow_events", "events1", io::wire::encode_events_header("fuzz", 4, {}, s));

  fs::create_directories(out / "config");
  for (const auto& e : fs::directory_iterator(repo / "config"))
    if (e.path().extension() == ".yaml")
      fs::copy_file(e.path(), out / "config" / e.path().filename(), fs::copy_options::overwrite_existing);

  fs::create_directories(out / "vendor_file");
  for (const auto& e : fs::directory_iterator(real / "das"))
    if (e.path().extension() == ".h5" || e.path().extension() == ".hdf5")
      fs::copy_file(e.path(), out / "vendor_file" / e.path().filename(), fs::copy_options::overwrite_existing);
  return 0;
}
