#include "dasflow/core/state_tree.hpp"

#include <bit>
#include <cstring>

namespace dasflow {

template <typename T> Result<T> StateTree::get_as(std::string_view name, const char* type_name) const {
  const auto it = values_.find(name);
  if (it == values_.end())
    return fail(Errc::state_mismatch, "state '" + kind_ + "': missing field '" + std::string(name) + "'");
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  return fail(Errc::state_mismatch, "state '" + kind_ + "': field '" + std::string(name) + "' is not " + type_name);
}

Result<std::int64_t> StateTree::get_int(std::string_view name) const {
  return get_as<std::int64_t>(name, "an integer");
}
Result<double> StateTree::get_double(std::string_view name) const { return get_as<double>(name, "a double"); }
Result<std::string> StateTree::get_string(std::string_view name) const { return get_as<std::string>(name, "a string"); }
Result<std::vector<double>> StateTree::get_doubles(std::string_view name) const {
  return get_as<std::vector<double>>(name, "a double array");
}
Result<std::vector<std::int64_t>> StateTree::get_ints(std::string_view name) const {
  return get_as<std::vector<std::int64_t>>(name, "an integer array");
}

Result<std::vector<double>> StateTree::get_doubles(std::string_view name, std::size_t expected_size) const {
  auto v = get_doubles(name);
  if (!v.ok()) return v;
  if (v->size() != expected_size)
    return fail(Errc::state_mismatch, "state '" + kind_ + "': field '" + std::string(name) + "' has " +
                                          std::to_string(v->size()) + " values, the pipeline needs " +
                                          std::to_string(expected_size));
  return v;
}

Result<void> StateTree::expect(std::string_view kind, std::int64_t version) const {
  if (kind_ != kind)
    return fail(Errc::state_mismatch, "state of kind '" + kind_ + "' cannot restore a '" + std::string(kind) + "'");
  if (version_ != version)
    return fail(Errc::state_mismatch, "state '" + kind_ + "' has version " + std::to_string(version_) +
                                          ", this build reads version " + std::to_string(version));
  return {};
}

namespace {

constexpr std::uint32_t kMagic = 0x54534644; // "DFST" little-endian
constexpr std::uint32_t kFormatVersion = 1;
constexpr int kMaxDepth = 64; // pipelines nest a few levels; deeper input is corrupt or hostile

enum class Tag : std::uint8_t { int64 = 1, float64 = 2, string = 3, float64_array = 4, int64_array = 5 };

class Writer {
public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
      out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void str(const std::string& s) {
    u64(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  /// An array of 8-byte words, little-endian: a plain copy on little-endian hosts (checkpoints of
  /// 10,000 channels hold tens of MB of state).
  template <typename T> void words(const std::vector<T>& v) {
    static_assert(sizeof(T) == 8);
    if constexpr (std::endian::native == std::endian::little) {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(v.data());
      out_.insert(out_.end(), bytes, bytes + v.size() * 8);
    } else {
      for (const T x : v)
        u64(std::bit_cast<std::uint64_t>(x));
    }
  }
  std::vector<std::uint8_t> take() { return std::move(out_); }

private:
  std::vector<std::uint8_t> out_;
};

void write_tree(Writer& w, const StateTree& t) {
  w.str(t.kind());
  w.u64(static_cast<std::uint64_t>(t.version()));
  w.u64(t.values().size());
  for (const auto& [name, value] : t.values()) {
    w.str(name);
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      w.u8(static_cast<std::uint8_t>(Tag::int64));
      w.u64(static_cast<std::uint64_t>(*i));
    } else if (const auto* d = std::get_if<double>(&value)) {
      w.u8(static_cast<std::uint8_t>(Tag::float64));
      w.u64(std::bit_cast<std::uint64_t>(*d));
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      w.u8(static_cast<std::uint8_t>(Tag::string));
      w.str(*s);
    } else if (const auto* da = std::get_if<std::vector<double>>(&value)) {
      w.u8(static_cast<std::uint8_t>(Tag::float64_array));
      w.u64(da->size());
      w.words(*da);
    } else if (const auto* ia = std::get_if<std::vector<std::int64_t>>(&value)) {
      w.u8(static_cast<std::uint8_t>(Tag::int64_array));
      w.u64(ia->size());
      w.words(*ia);
    }
  }
  w.u64(t.children().size());
  for (const auto& c : t.children())
    write_tree(w, c);
}

class Reader {
public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}

  Result<std::uint64_t> u64() {
    if (b_.size() - pos_ < 8) return truncated("an 8-byte integer");
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<std::uint64_t>(b_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += 8;
    return v;
  }
  Result<std::uint8_t> u8() {
    if (pos_ >= b_.size()) return truncated("a tag byte");
    return b_[pos_++];
  }
  /// A count of items of `item_bytes` each that must fit in what is left (so a corrupt length
  /// cannot make us allocate gigabytes).
  Result<std::size_t> count(std::size_t item_bytes, const char* what) {
    const std::size_t at = pos_;
    auto n = u64();
    if (!n.ok()) return n.error();
    if (*n > (b_.size() - pos_) / item_bytes)
      return fail(Errc::protocol, "state: " + std::string(what) + " length " + std::to_string(*n) + " at byte " +
                                      std::to_string(at) + " exceeds the remaining " +
                                      std::to_string(b_.size() - pos_) + " bytes");
    return static_cast<std::size_t>(*n);
  }
  Result<std::string> str() {
    auto n = count(1, "string");
    if (!n.ok()) return n.error();
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), *n);
    pos_ += *n;
    return s;
  }
  std::size_t pos() const noexcept { return pos_; }
  bool at_end() const noexcept { return pos_ == b_.size(); }

private:
  Error truncated(const char* what) const {
    return fail(Errc::protocol, "state: truncated at byte " + std::to_string(pos_) + " while reading " + what);
  }
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

Result<StateTree> read_tree(Reader& r, int depth) {
  if (depth > kMaxDepth) return fail(Errc::protocol, "state: nesting deeper than " + std::to_string(kMaxDepth));
  DASFLOW_TRY_ASSIGN(kind, r.str());
  DASFLOW_TRY_ASSIGN(version, r.u64());
  StateTree t(std::move(kind), static_cast<std::int64_t>(version));
  DASFLOW_TRY_ASSIGN(n_values, r.count(10, "value list"));
  for (std::size_t i = 0; i < n_values; ++i) {
    DASFLOW_TRY_ASSIGN(name, r.str());
    const std::size_t tag_at = r.pos();
    DASFLOW_TRY_ASSIGN(tag, r.u8());
    switch (static_cast<Tag>(tag)) {
    case Tag::int64: {
      DASFLOW_TRY_ASSIGN(v, r.u64());
      t.set(std::move(name), static_cast<std::int64_t>(v));
      break;
    }
    case Tag::float64: {
      DASFLOW_TRY_ASSIGN(v, r.u64());
      t.set(std::move(name), std::bit_cast<double>(v));
      break;
    }
    case Tag::string: {
      DASFLOW_TRY_ASSIGN(v, r.str());
      t.set(std::move(name), std::move(v));
      break;
    }
    case Tag::float64_array: {
      DASFLOW_TRY_ASSIGN(n, r.count(8, "double array"));
      std::vector<double> v(n);
      for (auto& x : v) {
        DASFLOW_TRY_ASSIGN(bits, r.u64());
        x = std::bit_cast<double>(bits);
      }
      t.set(std::move(name), std::move(v));
      break;
    }
    case Tag::int64_array: {
      DASFLOW_TRY_ASSIGN(n, r.count(8, "integer array"));
      std::vector<std::int64_t> v(n);
      for (auto& x : v) {
        DASFLOW_TRY_ASSIGN(bits, r.u64());
        x = static_cast<std::int64_t>(bits);
      }
      t.set(std::move(name), std::move(v));
      break;
    }
    default:
      return fail(Errc::protocol,
                  "state: unknown value tag " + std::to_string(tag) + " at byte " + std::to_string(tag_at));
    }
  }
  DASFLOW_TRY_ASSIGN(n_children, r.count(24, "child list"));
  for (std::size_t i = 0; i < n_children; ++i) {
    DASFLOW_TRY_ASSIGN(child, read_tree(r, depth + 1));
    t.add_child(std::move(child));
  }
  return t;
}

bool same_bits(const StateTree::Value& a, const StateTree::Value& b) {
  if (a.index() != b.index()) return false;
  if (const auto* da = std::get_if<double>(&a))
    return std::bit_cast<std::uint64_t>(*da) == std::bit_cast<std::uint64_t>(std::get<double>(b));
  if (const auto* va = std::get_if<std::vector<double>>(&a)) {
    const auto& vb = std::get<std::vector<double>>(b);
    return va->size() == vb.size() &&
           (va->empty() || std::memcmp(va->data(), vb.data(), va->size() * sizeof(double)) == 0);
  }
  return a == b;
}

} // namespace

std::vector<std::uint8_t> StateTree::serialize() const {
  Writer w;
  w.u64(kMagic | (static_cast<std::uint64_t>(kFormatVersion) << 32));
  write_tree(w, *this);
  return w.take();
}

Result<StateTree> StateTree::deserialize(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  DASFLOW_TRY_ASSIGN(head, r.u64());
  if ((head & 0xffffffffu) != kMagic) return fail(Errc::protocol, "state: not a dasflow state (bad magic)");
  if ((head >> 32) != kFormatVersion)
    return fail(Errc::protocol,
                "state: format version " + std::to_string(head >> 32) + " is not readable by this build");
  DASFLOW_TRY_ASSIGN(tree, read_tree(r, 0));
  if (!r.at_end())
    return fail(Errc::protocol, "state: " + std::to_string(bytes.size() - r.pos()) + " trailing bytes after the tree");
  return tree;
}

bool StateTree::operator==(const StateTree& o) const {
  if (kind_ != o.kind_ || version_ != o.version_ || values_.size() != o.values_.size() || children_ != o.children_)
    return false;
  for (auto a = values_.begin(), b = o.values_.begin(); a != values_.end(); ++a, ++b)
    if (a->first != b->first || !same_bits(a->second, b->second)) return false;
  return true;
}

} // namespace dasflow
