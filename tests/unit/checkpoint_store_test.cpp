// The checkpoint store: exact round trips through HDF5, atomic rotation, and fallback to the
// previous checkpoint when the newest is truncated or damaged (DESIGN.md §5).

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "dasflow/io/checkpoint_store.hpp"
#include "temp_dir.hpp"

namespace dasflow::io {
namespace {

namespace fs = std::filesystem;
using dasflow::testing::TempDir;

/// A tree with every value type, awkward doubles, empty vectors, nesting and a large vector.
StateTree sample_tree(std::int64_t tag) {
  StateTree root("dasflow.checkpoint", 1);
  root.set("tag", tag);
  root.set("fs_hz", 250.0);
  root.set("pipeline", std::string("- {atom: iirfilter, order: 4}\n- {atom: trigger}\n"));
  std::uint64_t payload_nan_bits = 0x7ff8000000c0ffeeULL;
  double payload_nan = 0;
  std::memcpy(&payload_nan, &payload_nan_bits, sizeof payload_nan);
  root.set("odd", std::vector<double>{-0.0, payload_nan, std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::denorm_min(), 1.0 / 3.0});
  root.set("none", std::vector<double>{});
  root.set("no_ints", std::vector<std::int64_t>{});
  StateTree pipeline("sequential", 1);
  for (int k = 0; k < 12; ++k) { // more than 10 children: order must survive name sorting
    StateTree atom(k % 2 == 0 ? "iirfilter" : "stalta", 2);
    std::vector<double> zi(5000 + static_cast<std::size_t>(k));
    for (std::size_t i = 0; i < zi.size(); ++i)
      zi[i] = std::sin(static_cast<double>(i + static_cast<std::size_t>(k))) * 1e-3;
    atom.set("zi", std::move(zi));
    atom.set("index", std::vector<std::int64_t>{k, -k, std::numeric_limits<std::int64_t>::min()});
    pipeline.add_child(std::move(atom));
  }
  root.add_child(std::move(pipeline));
  root.add_child(StateTree("outputs", 1));
  return root;
}

TEST(CheckpointStore, RoundTripIsBitExact) {
  TempDir dir("ckpt");
  const StateTree tree = sample_tree(7);
  const auto bytes = write_state_file(dir / "a.h5", tree);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_GT(*bytes, 0u);
  auto back = read_state_file(dir / "a.h5");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == tree);
  EXPECT_EQ(back->children().at(0).children().size(), 12u);
  EXPECT_EQ(back->children().at(0).children().at(11).kind(), "stalta");
}

TEST(CheckpointStore, ReservedNamesAreRefused) {
  TempDir dir("ckpt");
  StateTree tree("x", 1);
  tree.set("dasflow_kind", std::int64_t{1});
  EXPECT_FALSE(write_state_file(dir / "a.h5", tree).ok());
}

TEST(CheckpointStore, EmptyDirectoryHasNoCheckpoint) {
  TempDir dir("ckpt");
  CheckpointStore store(dir / "none");
  auto loaded = store.load_latest();
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_FALSE(loaded->has_value());
}

TEST(CheckpointStore, KeepsTheNewestTwo) {
  TempDir dir("ckpt");
  CheckpointStore store(dir / "ck");
  for (std::int64_t k = 1; k <= 4; ++k) {
    auto saved = store.save(sample_tree(k));
    ASSERT_TRUE(saved.ok()) << saved.error().message;
    EXPECT_EQ(saved->sequence, static_cast<std::uint64_t>(k));
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir / "ck"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"checkpoint-000000000003.h5", "checkpoint-000000000004.h5"}));
  // A new store continues the sequence.
  CheckpointStore again(dir / "ck");
  auto loaded = again.load_latest();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->sequence, 4u);
  EXPECT_EQ((*loaded)->tree.get_int("tag").value(), 4);
  auto saved = again.save(sample_tree(5));
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->sequence, 5u);
}

/// Saves checkpoints 1 and 2, damages 2 with `damage`, and expects a fallback to 1.
void expect_fallback(const TempDir& dir, const std::function<void(const std::string&)>& damage) {
  CheckpointStore store(dir / "ck");
  ASSERT_TRUE(store.save(sample_tree(1)).ok());
  auto second = store.save(sample_tree(2));
  ASSERT_TRUE(second.ok());
  damage(second->path);
  CheckpointStore reader(dir / "ck");
  auto loaded = reader.load_latest();
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->sequence, 1u);
  EXPECT_TRUE((*loaded)->tree == sample_tree(1));
  ASSERT_EQ((*loaded)->skipped.size(), 1u);
  EXPECT_NE((*loaded)->skipped[0].find("checkpoint-000000000002.h5"), std::string::npos) << (*loaded)->skipped[0];
}

TEST(CheckpointStore, TruncatedNewestFallsBack) {
  TempDir dir("ckpt");
  expect_fallback(dir, [](const std::string& path) { fs::resize_file(path, fs::file_size(path) / 2); });
}

TEST(CheckpointStore, EmptyNewestFallsBack) {
  TempDir dir("ckpt");
  expect_fallback(dir, [](const std::string& path) { fs::resize_file(path, 0); });
}

TEST(CheckpointStore, FlippedDataBytesAreCaughtByTheChecksum) {
  TempDir dir("ckpt");
  expect_fallback(dir, [](const std::string& path) {
    // The raw data of the large vectors fills most of the file: flip a byte in the middle.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto mid = static_cast<std::streamoff>(fs::file_size(path) / 2);
    f.seekg(mid);
    char c = 0;
    f.get(c);
    f.seekp(mid);
    f.put(static_cast<char>(c ^ 0x5a));
  });
}

TEST(CheckpointStore, DamagedMetadataNeverCrashesTheReader) {
  // Overwrites 64 bytes at a series of offsets in the file's first kilobytes (superblock, object
  // headers, heaps): every outcome is a fallback or, at worst, a clean refusal; never a crash.
  for (const std::size_t offset : {0u, 64u, 128u, 256u, 512u, 704u, 832u, 1024u, 1408u, 2048u, 4096u}) {
    TempDir dir("ckpt");
    CheckpointStore store(dir / "ck");
    ASSERT_TRUE(store.save(sample_tree(1)).ok());
    auto second = store.save(sample_tree(2));
    ASSERT_TRUE(second.ok());
    {
      std::fstream f(second->path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(offset));
      const std::string junk(64, '\xa5');
      f.write(junk.data(), 64);
    }
    CheckpointStore reader(dir / "ck");
    auto loaded = reader.load_latest();
    ASSERT_TRUE(loaded.ok()) << "offset " << offset << ": " << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    // Either the damage hit something unused (2 still reads exactly) or it fell back to 1.
    const bool exact2 = (*loaded)->sequence == 2 && (*loaded)->tree == sample_tree(2);
    const bool fell_back = (*loaded)->sequence == 1 && (*loaded)->tree == sample_tree(1);
    EXPECT_TRUE(exact2 || fell_back) << "offset " << offset;
  }
}

TEST(CheckpointStore, NoUsableCheckpointIsAnError) {
  TempDir dir("ckpt");
  CheckpointStore store(dir / "ck");
  auto a = store.save(sample_tree(1));
  auto b = store.save(sample_tree(2));
  ASSERT_TRUE(a.ok() && b.ok());
  fs::resize_file(a->path, 10);
  fs::resize_file(b->path, 10);
  CheckpointStore reader(dir / "ck");
  auto loaded = reader.load_latest();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::state_mismatch);
  EXPECT_NE(loaded.error().message.find("no usable checkpoint"), std::string::npos);
}

TEST(CheckpointStore, LeftoverTempFilesAreIgnoredAndCleaned) {
  TempDir dir("ckpt");
  CheckpointStore store(dir / "ck");
  ASSERT_TRUE(store.save(sample_tree(1)).ok());
  { std::ofstream(dir / "ck/.checkpoint-000000000002.h5.tmp") << "half written"; }
  CheckpointStore reader(dir / "ck");
  auto loaded = reader.load_latest();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->sequence, 1u);
  ASSERT_TRUE(reader.save(sample_tree(2)).ok());
  EXPECT_FALSE(fs::exists(dir / "ck/.checkpoint-000000000002.h5.tmp"));
}

} // namespace
} // namespace dasflow::io
