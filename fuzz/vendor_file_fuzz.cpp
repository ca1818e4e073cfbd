// libFuzzer target: a vendor recording (io/vendor_hdf5.hpp: ASN OptoDAS, PRODML) as the replay
// source opens it. Seeds are the real sample files of ../shared/data/real; mutated copies must be
// opened with a consistent description or refused with an Error naming the file, and rows of an
// opened file must read within its bounds (or fail cleanly: data damage shows up only there).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dasflow/io/vendor_hdf5.hpp"
#include "fuzz_check.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dasflow::io;
  static dasflow::fuzz::ScratchFile file("recording.h5");
  if (!file.write(data, size)) return 0;
  auto f = VendorFile::open(file.path(), "auto");
  if (!f.ok()) return 0;
  const VendorFileInfo& info = f->info();
  FUZZ_CHECK(info.n_channels >= 1 && info.n_channels <= kVendorMaxChannels);
  FUZZ_CHECK(info.n_samples <= kVendorMaxSamples);
  FUZZ_CHECK(info.fs_hz > 0);
  FUZZ_CHECK(f->scale().size() == 1 || f->scale().size() == info.n_channels);
  // First and last rows, and one past the end (must be refused).
  const std::size_t rows = std::min<std::size_t>(info.n_samples, 4);
  std::vector<float> out(std::max<std::size_t>(rows, 1) * info.n_channels);
  (void)f->read_rows(0, rows, out.data());
  if (info.n_samples >= rows) (void)f->read_rows(info.n_samples - rows, rows, out.data());
  FUZZ_CHECK(!f->read_rows(info.n_samples, 1, out.data()).ok());
  return 0;
}
