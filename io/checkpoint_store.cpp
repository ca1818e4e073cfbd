#include "dasflow/io/checkpoint_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "dasflow/io/failpoint.hpp"
#include "fs_util.hpp"
#include "hdf5_util.hpp"

namespace dasflow::io {

namespace {

namespace fs = std::filesystem;

constexpr const char* kKindAttr = "dasflow_kind";
constexpr const char* kVersionAttr = "dasflow_state_version";
constexpr const char* kChecksumAttr = "dasflow_checksum";
constexpr const char* kReservedPrefix = "dasflow_";
constexpr auto kReadTimeout = std::chrono::seconds(120);

/// "crc32:" and 8 hex digits.
constexpr std::size_t kChecksumTextSize = 14;

std::string checksum_text(std::span<const std::uint8_t> bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "crc32:%08" PRIx32, crc32_of(bytes));
  return buf;
}

// ---- Writing.

/// The Error for a failed HDF5 call, with HDF5's reason.
Error h5_error(const std::string& path, const std::string& what) {
  const std::string reason = condense_hdf5_message(hdf5_reason());
  return fail(Errc::io, path + ": " + what + (reason.empty() ? "" : " (HDF5: " + reason + ")"));
}

Result<void> h5_check(herr_t status, const std::string& path, const std::string& what) {
  if (status >= 0) return {};
  return h5_error(path, what);
}

Result<void> put_attr(hid_t obj, const std::string& name, const StateTree::Value& v, const std::string& path) {
  const std::string what = "writing attribute " + name;
  if (const auto* s = std::get_if<std::string>(&v)) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!type.valid()) return fail(Errc::io, path + ": " + what);
    DASFLOW_TRY(h5_check(H5Tset_size(type.get(), kVariableSize), path, what));
    DASFLOW_TRY(h5_check(H5Tset_cset(type.get(), H5T_CSET_UTF8), path, what));
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.valid()) return h5_error(path, what);
    const char* data = s->c_str();
    return h5_check(H5Awrite(attr.get(), type.get(), &data), path, what);
  }
  const bool is_int = std::holds_alternative<std::int64_t>(v);
  const hid_t file_type = is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE;
  const hid_t mem_type = is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) return h5_error(path, what);
  const void* data =
      is_int ? static_cast<const void*>(&std::get<std::int64_t>(v)) : static_cast<const void*>(&std::get<double>(v));
  return h5_check(H5Awrite(attr.get(), mem_type, data), path, what);
}

template <typename T>
Result<void> put_vector(hid_t group, const std::string& name, const std::vector<T>& values, hid_t file_type,
                        hid_t mem_type, const std::string& path) {
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle set(H5Dcreate2(group, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!set.valid()) return h5_error(path, "creating dataset " + name);
  if (n == 0) return {};
  return h5_check(H5Dwrite(set.get(), mem_type, kAllSpace, kAllSpace, H5P_DEFAULT, values.data()), path,
                  "writing dataset " + name);
}

Result<void> write_node(hid_t group, const StateTree& node, const std::string& path) {
  DASFLOW_TRY(put_attr(group, kKindAttr, node.kind(), path));
  DASFLOW_TRY(put_attr(group, kVersionAttr, node.version(), path));
  for (const auto& [name, value] : node.values()) {
    if (name.rfind(kReservedPrefix, 0) == 0 || name.empty() || name.find('/') != std::string::npos)
      return fail(Errc::internal, path + ": state value name '" + name + "' is reserved or invalid");
    if (const auto* d = std::get_if<std::vector<double>>(&value)) {
      DASFLOW_TRY(put_vector(group, name, *d, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, path));
    } else if (const auto* i = std::get_if<std::vector<std::int64_t>>(&value)) {
      DASFLOW_TRY(put_vector(group, name, *i, H5T_STD_I64LE, H5T_NATIVE_INT64, path));
    } else {
      DASFLOW_TRY(put_attr(group, name, value, path));
    }
  }
  std::size_t k = 0;
  for (const StateTree& child : node.children()) {
    std::string kind = child.kind();
    std::replace(kind.begin(), kind.end(), '/', '_');
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%04zu_", k++);
    const std::string name = prefix + kind;
    Handle sub(H5Gcreate2(group, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!sub.valid()) return h5_error(path, "creating group " + name);
    DASFLOW_TRY(write_node(sub.get(), child, path));
  }
  return {};
}

// ---- Reading (in the isolated child).

Result<StateTree::Value> read_attr(hid_t attr, const std::string& name, const std::string& path) {
  const std::string what = "reading attribute " + name;
  Handle type(H5Aget_type(attr), H5Tclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  if (!type.valid() || !space.valid() || H5Sget_simple_extent_type(space.get()) != H5S_SCALAR)
    return fail(Errc::io, path + ": attribute " + name + " is not a scalar");
  switch (H5Tget_class(type.get())) {
  case H5T_STRING: {
    if (H5Tis_variable_str(type.get()) <= 0) return fail(Errc::io, path + ": attribute " + name + ": not a string");
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), kVariableSize);
    H5Tset_cset(mem.get(), H5T_CSET_UTF8);
    char* data = nullptr;
    DASFLOW_TRY(h5_check(H5Aread(attr, mem.get(), &data), path, what));
    std::string s = data != nullptr ? data : "";
    H5free_memory(data);
    return StateTree::Value{std::move(s)};
  }
  case H5T_INTEGER: {
    std::int64_t v = 0;
    DASFLOW_TRY(h5_check(H5Aread(attr, H5T_NATIVE_INT64, &v), path, what));
    return StateTree::Value{v};
  }
  case H5T_FLOAT: {
    double v = 0;
    DASFLOW_TRY(h5_check(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), path, what));
    return StateTree::Value{v};
  }
  default: return fail(Errc::io, path + ": attribute " + name + " has an unexpected type");
  }
}

template <typename T>
Result<std::vector<T>> read_vector(hid_t set, hid_t mem_type, const std::string& name, const std::string& path) {
  Handle space(H5Dget_space(set), H5Sclose);
  if (!space.valid() || H5Sget_simple_extent_ndims(space.get()) != 1)
    return fail(Errc::io, path + ": dataset " + name + " is not one-dimensional");
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  std::vector<T> v(static_cast<std::size_t>(n));
  if (n > 0)
    DASFLOW_TRY(
        h5_check(H5Dread(set, mem_type, kAllSpace, kAllSpace, H5P_DEFAULT, v.data()), path, "reading dataset " + name));
  return v;
}

Result<StateTree> read_node(hid_t group, const std::string& path, int depth) {
  if (depth > 64) return fail(Errc::io, path + ": state tree nested too deeply");
  // Attributes: kind, version, scalar values.
  std::vector<std::string> attr_names;
  H5O_info_t info{};
  DASFLOW_TRY(h5_check(H5Oget_info2(group, &info, H5O_INFO_NUM_ATTRS), path, "reading a group"));
  std::string kind;
  std::int64_t version = 0;
  bool have_kind = false, have_version = false;
  std::vector<std::pair<std::string, StateTree::Value>> values;
  for (hsize_t a = 0; a < info.num_attrs; ++a) {
    Handle attr(H5Aopen_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, a, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.valid()) return h5_error(path, "opening an attribute");
    const ssize_t len = H5Aget_name(attr.get(), 0, nullptr);
    if (len < 0) return h5_error(path, "reading an attribute name");
    std::string name(static_cast<std::size_t>(len), '\0');
    H5Aget_name(attr.get(), name.size() + 1, name.data());
    DASFLOW_TRY_ASSIGN(v, read_attr(attr.get(), name, path));
    if (name == kKindAttr) {
      if (!std::holds_alternative<std::string>(v)) return fail(Errc::io, path + ": " + name + " is not a string");
      kind = std::get<std::string>(v);
      have_kind = true;
    } else if (name == kVersionAttr) {
      if (!std::holds_alternative<std::int64_t>(v)) return fail(Errc::io, path + ": " + name + " is not an integer");
      version = std::get<std::int64_t>(v);
      have_version = true;
    } else if (name.rfind(kReservedPrefix, 0) != 0) {
      values.emplace_back(name, std::move(v));
    }
  }
  if (!have_kind || !have_version) return fail(Errc::io, path + ": a group lacks dasflow_kind/dasflow_state_version");
  StateTree node(kind, version);
  for (auto& [name, v] : values)
    node.set(name, std::move(v));
  // Members: vector values and children (names sort in child order: NNNN_ prefix).
  hsize_t n_links = 0;
  H5G_info_t ginfo{};
  DASFLOW_TRY(h5_check(H5Gget_info(group, &ginfo), path, "listing a group"));
  n_links = ginfo.nlinks;
  std::size_t expected_child = 0;
  for (hsize_t i = 0; i < n_links; ++i) {
    const ssize_t len = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) return h5_error(path, "reading a member name");
    std::string name(static_cast<std::size_t>(len), '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
    Handle obj(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose);
    if (!obj.valid()) return h5_error(path, "opening " + name);
    const H5I_type_t type = H5Iget_type(obj.get());
    if (type == H5I_GROUP) {
      char prefix[16];
      std::snprintf(prefix, sizeof prefix, "%04zu_", expected_child++);
      if (name.rfind(prefix, 0) != 0) return fail(Errc::io, path + ": unexpected group " + name);
      DASFLOW_TRY_ASSIGN(child, read_node(obj.get(), path, depth + 1));
      node.add_child(std::move(child));
    } else if (type == H5I_DATASET) {
      Handle dtype(H5Dget_type(obj.get()), H5Tclose);
      const H5T_class_t cls = H5Tget_class(dtype.get());
      if (cls == H5T_FLOAT) {
        DASFLOW_TRY_ASSIGN(v, read_vector<double>(obj.get(), H5T_NATIVE_DOUBLE, name, path));
        node.set(name, std::move(v));
      } else if (cls == H5T_INTEGER) {
        DASFLOW_TRY_ASSIGN(v, read_vector<std::int64_t>(obj.get(), H5T_NATIVE_INT64, name, path));
        node.set(name, std::move(v));
      } else {
        return fail(Errc::io, path + ": dataset " + name + " has an unexpected type");
      }
    } else {
      return fail(Errc::io, path + ": unexpected object " + name);
    }
  }
  return node;
}

/// In the child: the checksum text (25 bytes) followed by the tree's serialized bytes.
Result<std::string> read_state_payload(const std::string& path) {
  const Hdf5Lock lock;
  const QuietHdf5 quiet;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) return h5_error(path, "cannot open as HDF5");
  Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.valid()) return h5_error(path, "cannot open the root group");
  if (H5Aexists(root.get(), kChecksumAttr) <= 0) return fail(Errc::io, path + ": no " + std::string(kChecksumAttr));
  Handle attr(H5Aopen(root.get(), kChecksumAttr, H5P_DEFAULT), H5Aclose);
  DASFLOW_TRY_ASSIGN(sum, read_attr(attr.get(), kChecksumAttr, path));
  if (!std::holds_alternative<std::string>(sum) || std::get<std::string>(sum).size() != kChecksumTextSize)
    return fail(Errc::io, path + ": malformed " + std::string(kChecksumAttr));
  DASFLOW_TRY_ASSIGN(tree, read_node(root.get(), path, 0));
  const std::vector<std::uint8_t> bytes = tree.serialize();
  return std::get<std::string>(sum) + std::string(bytes.begin(), bytes.end());
}

std::string file_name(std::uint64_t seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "checkpoint-%012" PRIu64 ".h5", seq);
  return buf;
}

} // namespace

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) noexcept {
  // zlib's CRC-32 (the one of gzip and PNG), fed in pieces its uInt length can hold.
  uLong crc = crc32(0L, Z_NULL, 0);
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t at = 0; at < bytes.size(); at += kPiece)
    crc = crc32(crc, bytes.data() + at, static_cast<uInt>(std::min(kPiece, bytes.size() - at)));
  return static_cast<std::uint32_t>(crc);
}

std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Result<std::uint64_t> write_state_file(const std::string& path, const StateTree& tree) {
  const std::vector<std::uint8_t> bytes = tree.serialize();
  const std::string sum = checksum_text(bytes);
  const Hdf5Lock lock;
  const QuietHdf5 quiet;
  Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) return h5_error(path, "cannot create");
  Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.valid()) return h5_error(path, "cannot open the root group");
  DASFLOW_TRY(write_node(root.get(), tree, path));
  DASFLOW_TRY(put_attr(root.get(), kChecksumAttr, sum, path));
  root.reset();
  DASFLOW_TRY(h5_check(H5Fclose(file.release()), path, "closing"));
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? std::uint64_t{0} : static_cast<std::uint64_t>(size);
}

Result<StateTree> read_state_file(const std::string& path) {
  DASFLOW_TRY_ASSIGN(payload, run_isolated(
                                  "checkpoint " + path, [&] { return read_state_payload(path); }, kReadTimeout));
  if (payload.size() < kChecksumTextSize) return fail(Errc::io, path + ": short reply from the reader");
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(payload.data()) + kChecksumTextSize,
                                            payload.size() - kChecksumTextSize);
  const std::string expected = payload.substr(0, kChecksumTextSize);
  const std::string actual = checksum_text(bytes);
  if (expected != actual)
    return fail(Errc::io, path + ": checksum mismatch (file says " + expected + ", content hashes to " + actual +
                              "): the file is damaged");
  auto tree = StateTree::deserialize(bytes);
  if (!tree.ok()) return fail(Errc::io, path + ": " + tree.error().message);
  return std::move(tree).value();
}

CheckpointStore::CheckpointStore(std::string dir, std::size_t keep)
    : dir_(std::move(dir)), keep_(std::max<std::size_t>(1, keep)) {}

Result<void> CheckpointStore::check_writable(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::io, dir + ": cannot create the checkpoint directory: " + ec.message());
  if (!fs::is_directory(dir, ec)) return fail(Errc::io, dir + ": not a directory");
  // Only creating a file shows that saving will work: permissions say nothing to root, and a
  // read-only mount shows only when written to.
  const std::string probe = (fs::path(dir) / (".dasflow-write-test-" + std::to_string(::getpid()))).string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) { // left by an earlier process with the same pid that died in between
    fs::remove(probe, ec);
    fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (fd < 0) return fail(Errc::io, dir + ": cannot create files in the checkpoint directory: " + std::strerror(errno));
  ::close(fd);
  fs::remove(probe, ec);
  return {};
}

Result<std::vector<std::pair<std::uint64_t, std::string>>> CheckpointStore::list() const {
  std::vector<std::pair<std::uint64_t, std::string>> found;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return found;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // checkpoint-<12 digits>.h5
    const bool match = name.size() == 26 && name.rfind("checkpoint-", 0) == 0 && name.ends_with(".h5") &&
                       std::all_of(name.begin() + 11, name.begin() + 23, [](char c) { return c >= '0' && c <= '9'; });
    if (match) found.emplace_back(std::stoull(name.substr(11, 12)), it->path().string());
  }
  if (ec) return fail(Errc::io, dir_ + ": cannot list the checkpoint directory: " + ec.message());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return found;
}

Result<CheckpointStore::Saved> CheckpointStore::save(const StateTree& tree) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return fail(Errc::io, dir_ + ": cannot create the checkpoint directory: " + ec.message());
  if (next_sequence_ == 0) {
    DASFLOW_TRY_ASSIGN(existing, list());
    next_sequence_ = existing.empty() ? 1 : existing.front().first + 1;
  }
  const std::uint64_t seq = next_sequence_;
  const std::string final_path = (fs::path(dir_) / file_name(seq)).string();
  const std::string tmp_path = (fs::path(dir_) / ("." + file_name(seq) + ".tmp")).string();
  auto bytes = write_state_file(tmp_path, tree);
  if (!bytes.ok()) {
    fs::remove(tmp_path, ec);
    return bytes.error();
  }
  failpoint("checkpoint.written");
  DASFLOW_TRY(fsync_path(tmp_path, 0));
  fs::rename(tmp_path, final_path, ec);
  if (ec) return fail(Errc::io, tmp_path + ": rename to " + final_path + ": " + ec.message());
  failpoint("checkpoint.renamed");
  DASFLOW_TRY(fsync_path(dir_, O_DIRECTORY));
  ++next_sequence_;
  // Only once the new one is durable: drop the oldest, and temp files of interrupted saves.
  DASFLOW_TRY_ASSIGN(all, list());
  for (std::size_t i = keep_; i < all.size(); ++i)
    fs::remove(all[i].second, ec);
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".checkpoint-", 0) == 0 && name.size() > 4 && name.ends_with(".tmp") && it->path() != tmp_path) {
      std::error_code ec2;
      fs::remove(it->path(), ec2);
    }
  }
  return Saved{final_path, seq, *bytes};
}

Result<std::optional<CheckpointStore::Loaded>> CheckpointStore::load_latest() {
  DASFLOW_TRY_ASSIGN(all, list());
  if (all.empty()) return std::optional<Loaded>{};
  std::vector<std::string> skipped;
  for (const auto& [seq, path] : all) {
    auto tree = read_state_file(path);
    if (tree.ok()) {
      next_sequence_ = std::max(next_sequence_, all.front().first + 1);
      return std::optional<Loaded>{Loaded{std::move(tree).value(), path, seq, std::move(skipped)}};
    }
    skipped.push_back(tree.error().message);
  }
  std::string message = dir_ + ": no usable checkpoint:";
  for (const std::string& s : skipped)
    message += "\n  " + s;
  return fail(Errc::state_mismatch, message);
}

} // namespace dasflow::io
