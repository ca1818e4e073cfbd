#pragma once
/// \file state_tree.hpp
/// The serialisable state of an atom or a pipeline: what a checkpoint holds and nothing else
/// (STYLE.md §1.2). Doubles are kept and serialised as raw IEEE-754 bits, so a restore is exact
/// down to signed zeros and NaN payloads.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dasflow/core/result.hpp"

namespace dasflow {

/// A named node: the kind and version of what saved it, typed named values, ordered children.
/// Restore code checks kind, version and shapes and reports what does not match.
class StateTree {
public:
  using Value = std::variant<std::int64_t, double, std::string, std::vector<double>, std::vector<std::int64_t>>;

  StateTree() = default;
  StateTree(std::string kind, std::int64_t version) : kind_(std::move(kind)), version_(version) {}

  const std::string& kind() const noexcept { return kind_; }
  std::int64_t version() const noexcept { return version_; }

  void set(std::string name, Value v) { values_[std::move(name)] = std::move(v); }
  const std::map<std::string, Value, std::less<>>& values() const noexcept { return values_; }

  Result<std::int64_t> get_int(std::string_view name) const;
  Result<double> get_double(std::string_view name) const;
  Result<std::string> get_string(std::string_view name) const;
  Result<std::vector<double>> get_doubles(std::string_view name) const;
  Result<std::vector<std::int64_t>> get_ints(std::string_view name) const;

  /// Reads `get_doubles(name)` and checks it holds exactly `expected_size` values.
  Result<std::vector<double>> get_doubles(std::string_view name, std::size_t expected_size) const;

  void add_child(StateTree child) { children_.push_back(std::move(child)); }
  const std::vector<StateTree>& children() const noexcept { return children_; }

  /// Fails unless this node was saved by `kind` at `version`: the first check of every restore.
  Result<void> expect(std::string_view kind, std::int64_t version) const;

  /// Lossless little-endian binary form (magic "DFST", format version, then the tree).
  std::vector<std::uint8_t> serialize() const;
  /// Parses `serialize()` output; any truncation, bad tag or impossible length is an error naming
  /// the byte offset, never a crash (the bytes come from a file on disk).
  static Result<StateTree> deserialize(std::span<const std::uint8_t> bytes);

  /// Bitwise equality (doubles compared by their bits).
  bool operator==(const StateTree& o) const;

private:
  template <typename T> Result<T> get_as(std::string_view name, const char* type_name) const;

  std::string kind_;
  std::int64_t version_ = 0;
  std::map<std::string, Value, std::less<>> values_;
  std::vector<StateTree> children_;
};

} // namespace dasflow
