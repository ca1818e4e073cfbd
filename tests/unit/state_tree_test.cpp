// StateTree keeps every bit and refuses corrupt bytes with a message, never a crash.

#include <bit>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "dasflow/core/state_tree.hpp"

namespace dasflow {
namespace {

StateTree sample_tree() {
  StateTree t("sosfilter", 3);
  t.set("count", std::int64_t{-42});
  t.set("gain", -0.0);
  t.set("nan", std::bit_cast<double>(std::uint64_t{0x7ff8dead0000beefULL}));
  t.set("tiny", std::numeric_limits<double>::denorm_min());
  t.set("label", std::string("bandpass \xce\xbc"));
  t.set("zi", std::vector<double>{1.0 / 3.0, -1e308, std::numeric_limits<double>::infinity()});
  t.set("shape", std::vector<std::int64_t>{2, 2, 1000});
  StateTree child("lfilter", 1);
  child.set("z", std::vector<double>{});
  t.add_child(child);
  t.add_child(StateTree("empty", 0));
  return t;
}

TEST(StateTree, SerialiseRoundTripKeepsEveryBit) {
  const StateTree t = sample_tree();
  auto back = StateTree::deserialize(t.serialize());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, t);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(*back->get_double("nan")), 0x7ff8dead0000beefULL);
  EXPECT_TRUE(std::signbit(*back->get_double("gain")));
  EXPECT_EQ(back->children().at(0).kind(), "lfilter");
  EXPECT_EQ(back->serialize(), t.serialize());
}

TEST(StateTree, EqualityIsBitwise) {
  StateTree a("x", 1), b("x", 1);
  a.set("v", 0.0);
  b.set("v", -0.0);
  EXPECT_FALSE(a == b); // 0.0 == -0.0 numerically, but a restore must reproduce the sign
}

TEST(StateTree, TypedGettersNameTheProblem) {
  const StateTree t = sample_tree();
  EXPECT_EQ(t.get_int("zi").error().message, "state 'sosfilter': field 'zi' is not an integer");
  EXPECT_EQ(t.get_double("missing").error().message, "state 'sosfilter': missing field 'missing'");
  EXPECT_EQ(t.get_doubles("zi", 4).error().message, "state 'sosfilter': field 'zi' has 3 values, the pipeline needs 4");
  EXPECT_EQ(t.expect("iirfilter", 3).error().message, "state of kind 'sosfilter' cannot restore a 'iirfilter'");
  EXPECT_EQ(t.expect("sosfilter", 1).error().message, "state 'sosfilter' has version 3, this build reads version 1");
}

TEST(StateTree, EveryTruncationIsAnErrorNotACrash) {
  const auto bytes = sample_tree().serialize();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = StateTree::deserialize(std::span<const std::uint8_t>(bytes.data(), n));
    EXPECT_FALSE(r.ok()) << "accepted " << n << " of " << bytes.size() << " bytes";
  }
}

TEST(StateTree, CorruptBytesAreRefusedWithTheirOffset) {
  auto bytes = sample_tree().serialize();
  auto bad_magic = bytes;
  bad_magic[0] ^= 0xff;
  EXPECT_EQ(StateTree::deserialize(bad_magic).error().message, "state: not a dasflow state (bad magic)");

  auto trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(StateTree::deserialize(trailing).error().message, "state: 1 trailing bytes after the tree");

  // The kind string's length (bytes 8..15) claims far more than the buffer holds.
  auto huge = bytes;
  huge[14] = 0x7f;
  const auto r = StateTree::deserialize(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("at byte 8 exceeds the remaining"), std::string::npos) << r.error().message;
}

TEST(StateTree, EveryFlippedByteIsHandled) {
  // Either refused with a message or parsed into some tree; never a crash or a huge allocation.
  const auto bytes = sample_tree().serialize();
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (std::uint8_t flip : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
      auto b = bytes;
      b[i] ^= flip;
      auto r = StateTree::deserialize(b);
      if (!r.ok()) {
        EXPECT_FALSE(r.error().message.empty());
      }
    }
}

} // namespace
} // namespace dasflow
