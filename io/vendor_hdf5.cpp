/// \file vendor_hdf5.cpp
/// ASN OptoDAS and PRODML 2.x readers on the HDF5 C library (see vendor_hdf5.hpp for the layouts).

#include "dasflow/io/vendor_hdf5.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <numbers>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "hdf5_util.hpp"
#include "isolated_call.hpp"

namespace dasflow::io {
namespace {

/// A dataset or an attribute, with the name errors use ("/header/dt", "/Acquisition/Raw[0]@OutputDataRate").
struct Node {
  Handle h;
  bool is_attr = false;
  std::string name;
};

Handle type_of(const Node& n) { return Handle(n.is_attr ? H5Aget_type(n.h.get()) : H5Dget_type(n.h.get()), H5Tclose); }
Handle space_of(const Node& n) {
  return Handle(n.is_attr ? H5Aget_space(n.h.get()) : H5Dget_space(n.h.get()), H5Sclose);
}
herr_t read_all(const Node& n, hid_t mem_type, void* buf) {
  return n.is_attr ? H5Aread(n.h.get(), mem_type, buf)
                   : H5Dread(n.h.get(), mem_type, kAllSpace, kAllSpace, H5P_DEFAULT, buf);
}

/// Everything that reads one file's metadata names the file in its errors.
class Meta {
public:
  Meta(std::string path, hid_t file) : path_(std::move(path)), file_(file) {}

  const std::string& path() const { return path_; }
  hid_t file() const { return file_; }

  Error err(const std::string& what) const { return fail(Errc::io, path_ + ": " + what); }
  /// err() plus HDF5's reason for the failure of the call just made.
  Error err_h5(const std::string& what) const {
    const std::string reason = hdf5_reason();
    return err(reason.empty() ? what : what + " (HDF5: " + reason + ")");
  }

  /// What sits at an absolute path: nothing, a group, a dataset, something else, or an object
  /// HDF5 cannot open (damaged). Each link of the path is tested first, so a missing parent is
  /// "nothing", not an HDF5 error.
  enum class Kind { none, group, dataset, other, unreadable };
  Kind kind_at(const std::string& abs_path) const {
    for (std::size_t pos = 1; pos <= abs_path.size(); ++pos) {
      if (pos != abs_path.size() && abs_path[pos] != '/') continue;
      const htri_t exists = H5Lexists(file_, abs_path.substr(0, pos).c_str(), H5P_DEFAULT);
      if (exists < 0) { // the group holding the link is damaged
        note_damage(abs_path.substr(0, pos));
        return Kind::unreadable;
      }
      if (exists == 0) return Kind::none;
    }
    const Handle obj(H5Oopen(file_, abs_path.c_str(), H5P_DEFAULT), H5Oclose);
    if (!obj.valid()) {
      note_damage(abs_path);
      return Kind::unreadable;
    }
    switch (H5Iget_type(obj.get())) {
    case H5I_GROUP: return Kind::group;
    case H5I_DATASET: return Kind::dataset;
    default: return Kind::other;
    }
  }

  Result<Handle> group(const std::string& abs_path) const {
    const Kind k = kind_at(abs_path);
    if (k == Kind::none) return err("missing group " + abs_path);
    if (k != Kind::group && k != Kind::unreadable) return err(abs_path + " is not a group");
    Handle g(H5Gopen2(file_, abs_path.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.valid()) return err_h5("cannot open group " + abs_path);
    return g;
  }

  Result<Node> dataset(const std::string& abs_path) const {
    const Kind k = kind_at(abs_path);
    if (k == Kind::none) return err("missing dataset " + abs_path);
    if (k != Kind::dataset && k != Kind::unreadable) return err(abs_path + " is not a dataset");
    Handle d(H5Dopen2(file_, abs_path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.valid()) return err_h5("cannot open dataset " + abs_path);
    return Node{std::move(d), false, abs_path};
  }
  /// A dataset, or an object that HDF5 cannot open (so that reading it reports the damage).
  bool has_dataset(const std::string& abs_path) const { return maybe(kind_at(abs_path), Kind::dataset); }
  bool has_group(const std::string& abs_path) const { return maybe(kind_at(abs_path), Kind::group); }
  static bool maybe(Kind k, Kind wanted) { return k == wanted || k == Kind::unreadable; }

  static bool has_attr(hid_t obj, const std::string& attr) {
    const htri_t e = H5Aexists(obj, attr.c_str());
    if (e < 0) H5Eclear2(H5E_DEFAULT);
    return e > 0;
  }
  Result<Node> attribute(hid_t obj, const std::string& obj_name, const std::string& attr) const {
    const std::string name = obj_name + "@" + attr;
    if (!has_attr(obj, attr)) return err("missing attribute " + name);
    Handle a(H5Aopen(obj, attr.c_str(), H5P_DEFAULT), H5Aclose);
    if (!a.valid()) return err_h5("cannot open attribute " + name);
    return Node{std::move(a), true, name};
  }

  /// Number of elements of a dataset or attribute (scalar = 1, null = 0) and its dimensions.
  struct Extent {
    std::vector<hsize_t> dims;
    std::size_t n_points = 0;
  };
  Result<Extent> extent(const Node& n) const {
    const Handle sp = space_of(n);
    if (!sp.valid()) return err_h5("cannot read the dataspace of " + n.name);
    const H5S_class_t cls = H5Sget_simple_extent_type(sp.get());
    if (cls == H5S_NULL) return Extent{};
    if (cls == H5S_SCALAR) return Extent{{}, 1};
    const int rank = H5Sget_simple_extent_ndims(sp.get());
    if (cls != H5S_SIMPLE || rank < 0 || rank > H5S_MAX_RANK) return err_h5("cannot read the dataspace of " + n.name);
    Extent e;
    e.dims.resize(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(sp.get(), e.dims.data(), nullptr) < 0)
      return err_h5("cannot read the dimensions of " + n.name);
    // Product with an overflow guard: a corrupt header can claim anything.
    std::size_t points = 1;
    for (const hsize_t d : e.dims) {
      if (d != 0 && points > std::numeric_limits<std::size_t>::max() / d) return err(n.name + ": dataspace too large");
      points *= static_cast<std::size_t>(d);
    }
    e.n_points = points;
    return e;
  }

  /// Class of the stored type (H5T_INTEGER, H5T_FLOAT, H5T_STRING, ...) and its size in bytes.
  struct TypeInfo {
    H5T_class_t cls = H5T_NO_CLASS;
    std::size_t size = 0;
  };
  Result<TypeInfo> type_info(const Node& n) const {
    const Handle t = type_of(n);
    if (!t.valid()) return err_h5("cannot read the datatype of " + n.name);
    const H5T_class_t cls = H5Tget_class(t.get());
    const std::size_t size = H5Tget_size(t.get());
    if (cls == H5T_NO_CLASS || size == 0) return err_h5("cannot read the datatype of " + n.name);
    return TypeInfo{cls, size};
  }

  /// Every element of a numeric (integer or float) dataset/attribute, converted to double.
  Result<std::vector<double>> doubles(const Node& n, std::size_t max_points) const {
    DASFLOW_TRY_ASSIGN(t, type_info(n));
    if (t.cls != H5T_INTEGER && t.cls != H5T_FLOAT)
      return err(n.name + ": expected a number, found a non-numeric type");
    DASFLOW_TRY_ASSIGN(e, extent(n));
    if (e.n_points > max_points)
      return err(n.name + ": " + std::to_string(e.n_points) + " elements, more than the limit of " +
                 std::to_string(max_points));
    std::vector<double> v(e.n_points);
    if (!v.empty() && read_all(n, H5T_NATIVE_DOUBLE, v.data()) < 0) return err_h5("cannot read " + n.name);
    return v;
  }

  /// A single finite number (scalar or one-element array).
  Result<double> scalar(const Node& n) const {
    DASFLOW_TRY_ASSIGN(v, doubles(n, 1));
    if (v.size() != 1) return err(n.name + ": expected one number, found " + std::to_string(v.size()));
    if (!std::isfinite(v[0])) return err(n.name + ": not a finite number");
    return v[0];
  }

  /// Every element of an integer dataset/attribute as int64 (floats must hold integral values).
  Result<std::vector<std::int64_t>> int64s(const Node& n, std::size_t max_points) const {
    DASFLOW_TRY_ASSIGN(t, type_info(n));
    if (t.cls == H5T_FLOAT) {
      DASFLOW_TRY_ASSIGN(v, doubles(n, max_points));
      std::vector<std::int64_t> out(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i]) || v[i] != std::trunc(v[i]) || std::fabs(v[i]) > 9.0e18)
          return err(n.name + ": expected integers, found " + std::to_string(v[i]));
        out[i] = static_cast<std::int64_t>(v[i]);
      }
      return out;
    }
    if (t.cls != H5T_INTEGER) return err(n.name + ": expected integers, found a non-numeric type");
    DASFLOW_TRY_ASSIGN(e, extent(n));
    if (e.n_points > max_points)
      return err(n.name + ": " + std::to_string(e.n_points) + " elements, more than the limit of " +
                 std::to_string(max_points));
    std::vector<std::int64_t> out(e.n_points);
    if (!out.empty() && read_all(n, H5T_NATIVE_INT64, out.data()) < 0) return err_h5("cannot read " + n.name);
    return out;
  }

  Result<std::int64_t> int64_scalar(const Node& n) const {
    DASFLOW_TRY_ASSIGN(v, int64s(n, 1));
    if (v.size() != 1) return err(n.name + ": expected one integer, found " + std::to_string(v.size()));
    return v[0];
  }

  /// Every element of a string dataset/attribute (fixed or variable length), cut at the first NUL
  /// and stripped of trailing spaces. Each value is limited to kVendorMaxStringBytes.
  Result<std::vector<std::string>> strings(const Node& n, std::size_t max_points) const {
    const Handle ft = type_of(n);
    if (!ft.valid()) return err_h5("cannot read the datatype of " + n.name);
    if (H5Tget_class(ft.get()) != H5T_STRING) return err(n.name + ": expected a string");
    DASFLOW_TRY_ASSIGN(e, extent(n));
    if (e.n_points > max_points)
      return err(n.name + ": " + std::to_string(e.n_points) + " strings, more than the limit of " +
                 std::to_string(max_points));
    std::vector<std::string> out;
    if (e.n_points == 0) return out;
    const htri_t variable = H5Tis_variable_str(ft.get());
    if (variable < 0) return err_h5("cannot read the datatype of " + n.name);
    if (variable > 0) {
      const Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
      if (!mt.valid() || H5Tset_size(mt.get(), kVariableSize) < 0 || H5Tset_cset(mt.get(), H5Tget_cset(ft.get())) < 0)
        return err_h5("cannot prepare a string type for " + n.name);
      std::vector<char*> ptrs(e.n_points, nullptr);
      if (read_all(n, mt.get(), ptrs.data()) < 0) return err_h5("cannot read " + n.name);
      bool too_long = false;
      for (const char* p : ptrs) {
        const std::size_t len = p == nullptr ? 0 : strnlen(p, kVendorMaxStringBytes + 1);
        too_long = too_long || len > kVendorMaxStringBytes;
        out.emplace_back(p == nullptr ? "" : std::string(p, std::min(len, kVendorMaxStringBytes)));
      }
      const Handle sp = space_of(n);
#if H5_VERSION_GE(1, 12, 0)
      H5Treclaim(mt.get(), sp.get(), H5P_DEFAULT, ptrs.data());
#else
      H5Dvlen_reclaim(mt.get(), sp.get(), H5P_DEFAULT, ptrs.data());
#endif
      if (too_long) return err(n.name + ": string longer than " + std::to_string(kVendorMaxStringBytes) + " bytes");
    } else {
      const std::size_t size = H5Tget_size(ft.get());
      if (size == 0 || size > kVendorMaxStringBytes)
        return err(n.name + ": string of " + std::to_string(size) + " bytes, more than the limit of " +
                   std::to_string(kVendorMaxStringBytes));
      if (e.n_points > (std::size_t{16} << 20) / size) return err(n.name + ": string array too large");
      // Same type in memory as on disk: bytes are copied as stored (no NULLTERM truncation of a
      // value that fills its whole width, as h5py writes them).
      const Handle mt(H5Tcopy(ft.get()), H5Tclose);
      if (!mt.valid()) return err_h5("cannot prepare a string type for " + n.name);
      std::vector<char> buf(e.n_points * size);
      if (read_all(n, mt.get(), buf.data()) < 0) return err_h5("cannot read " + n.name);
      for (std::size_t i = 0; i < e.n_points; ++i) {
        const char* p = buf.data() + i * size;
        out.emplace_back(p, strnlen(p, size));
      }
    }
    for (std::string& s : out)
      while (!s.empty() && (s.back() == ' ' || s.back() == '\0'))
        s.pop_back();
    return out;
  }

  /// A single string (scalar or one-element array).
  Result<std::string> string_value(const Node& n) const {
    DASFLOW_TRY_ASSIGN(v, strings(n, 1));
    if (v.size() != 1) return err(n.name + ": expected one string, found " + std::to_string(v.size()));
    return std::move(v[0]);
  }

  /// The path and HDF5 reason of the first object kind_at() found unreadable.
  const std::string& first_damage() const { return first_damage_; }

private:
  void note_damage(const std::string& where) const {
    const std::string reason = hdf5_reason();
    if (first_damage_.empty()) first_damage_ = where + (reason.empty() ? "" : ": " + reason);
  }

  std::string path_;
  hid_t file_;
  mutable std::string first_damage_;
};

// ---------------------------------------------------------------------------------------------
// Conversions.

/// POSIX seconds stored as float64 → ns. A float64 near 1.7e9 s resolves only 0.24 µs, so the
/// value is read as the shortest decimal that round-trips to the same double (what the writer
/// meant: header/time 1698416617.02 is 1698416617.0199999809 in binary, and "1698416617.02" as
/// its shortest decimal), then rounded to whole ns. Empty if not finite or out of int64 ns range.
std::optional<std::int64_t> posix_seconds_to_ns(double t) {
  if (!std::isfinite(t) || std::fabs(t) >= 9.2e9) return std::nullopt;
  char buf[1200]; // fixed notation of the smallest subnormal needs about 1080 characters
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, t, std::chars_format::fixed);
  if (ec != std::errc{}) return std::nullopt;
  const char* p = buf;
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  std::int64_t seconds = 0;
  for (; p < end && *p >= '0' && *p <= '9'; ++p)
    seconds = seconds * 10 + (*p - '0');
  std::int64_t frac_ns = 0;
  int digits = 0;
  bool round_up = false;
  if (p < end && *p == '.') {
    for (++p; p < end && digits < 9; ++p, ++digits)
      frac_ns = frac_ns * 10 + (*p - '0');
    round_up = p < end && *p >= '5';
  }
  for (; digits < 9; ++digits)
    frac_ns *= 10;
  const std::int64_t ns = seconds * 1'000'000'000 + frac_ns + (round_up ? 1 : 0);
  return negative ? -ns : ns;
}

/// 1/dt of a decimal dt is rarely an exact integer in binary (1/0.002 may land one ulp off 500):
/// snap to the nearest integer within 1e-9 relative, so stream indices land on the intended grid.
double snap_rate(double fs_hz) {
  const double r = std::round(fs_hz);
  return (r > 0 && std::fabs(fs_hz - r) <= 1e-9 * fs_hz) ? r : fs_hz;
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : ", ") + x;
  return "[" + s + "]";
}

/// The data must be time-major: the first dimension named "time". A distance-major file is refused
/// rather than read transposed row by row.
Result<void> check_time_major(const Meta& m, const std::string& node_name, const std::vector<std::string>& names) {
  if (names.size() == 2 && lower(names[0]) == "time") return {};
  if (names.size() == 2 && lower(names[1]) == "time")
    return m.err(node_name + " = " + join(names) +
                 ": distance-major data are not supported (dasflow reads [time, distance] files)");
  return m.err(node_name + " = " + join(names) + ": expected two dimensions, the first named time");
}

/// Unit of raw · dataScale / sensitivity. ASN writes units like "rad/m/s" and "rad/m/strain", whose
/// quotient is "strain/s" (simpleDASreader simplifies with sympy); the common prefix form is
/// simplified here, anything else is written as "(unit)/(sensitivity unit)".
std::string divide_unit(const std::string& unit, const std::string& sensitivity_unit) {
  if (sensitivity_unit.empty()) return unit;
  const auto u = unit.rfind('/');
  const auto s = sensitivity_unit.rfind('/');
  if (u != std::string::npos && s != std::string::npos && unit.compare(0, u, sensitivity_unit, 0, s) == 0 && u == s)
    return sensitivity_unit.substr(s + 1) + "/" + unit.substr(u + 1);
  return "(" + unit + ")/(" + sensitivity_unit + ")";
}

} // namespace

// ---------------------------------------------------------------------------------------------
// VendorFile.

struct VendorFile::Impl {
  VendorFileInfo info;
  std::vector<double> scale{1.0}; ///< 1 or n_channels multipliers
  bool scale_is_one = true;
  bool direct_float = true;      ///< the stored type converts exactly to float32 (float32, ≤16-bit integers)
  std::string data_path;         ///< the 2-D dataset ("/data", "/Acquisition/Raw[0]/RawData")
  std::uintmax_t file_bytes = 0; ///< size when opened: a changed file is not read
  std::filesystem::file_time_type file_mtime{}; ///< modification time when opened
  // Open lazily by read_rows(), closed by release() or when more than kMaxOpenFiles are open: a
  // replay set of thousands of files holds few descriptors. `file` is declared before `data`:
  // destroyed after it.
  mutable Handle file;
  mutable Handle data;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();
  void close_handles() const;
};

namespace {

/// Files whose handles read_rows() opened, least recently read first (guarded by hdf5_mutex()).
/// Reading one more than kMaxOpenFiles closes the least recently read one, which read_rows()
/// reopens if it is read again: a replay that never calls release() still holds few descriptors.
constexpr std::size_t kMaxOpenFiles = 8;
std::vector<const VendorFile::Impl*>& open_files() {
  static std::vector<const VendorFile::Impl*> files;
  return files;
}
void forget_open(const VendorFile::Impl* im) {
  auto& files = open_files();
  files.erase(std::remove(files.begin(), files.end(), im), files.end());
}
void note_read(const VendorFile::Impl* im) {
  forget_open(im);
  auto& files = open_files();
  files.push_back(im);
  while (files.size() > kMaxOpenFiles)
    files.front()->close_handles(); // removes itself
}

} // namespace

VendorFile::Impl::~Impl() {
  const Hdf5Lock lock;
  forget_open(this);
}

void VendorFile::Impl::close_handles() const {
  const Hdf5Lock lock;
  data.reset();
  file.reset();
  forget_open(this);
}

VendorFile::VendorFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VendorFile::VendorFile(VendorFile&&) noexcept = default;
VendorFile& VendorFile::operator=(VendorFile&&) noexcept = default;
VendorFile::~VendorFile() = default;

const VendorFileInfo& VendorFile::info() const { return impl_->info; }
const std::vector<double>& VendorFile::scale() const { return impl_->scale; }

namespace {

/// Shape and element type of the main 2-D dataset, with the limits applied.
Result<void> read_data_shape(const Meta& m, const Node& data, VendorFile::Impl& impl) {
  DASFLOW_TRY_ASSIGN(t, m.type_info(data));
  if (t.cls != H5T_INTEGER && t.cls != H5T_FLOAT)
    return m.err(data.name + ": expected integer or floating-point samples, found another HDF5 type class");
  if (t.size > 8) return m.err(data.name + ": samples of " + std::to_string(t.size) + " bytes are not supported");
  impl.direct_float = (t.cls == H5T_FLOAT && t.size == 4) || (t.cls == H5T_INTEGER && t.size <= 2);
  DASFLOW_TRY_ASSIGN(e, m.extent(data));
  if (e.dims.size() != 2)
    return m.err(data.name + ": expected 2 dimensions (time, channel), found " + std::to_string(e.dims.size()));
  if (e.dims[1] == 0) return m.err(data.name + ": no channels");
  if (e.dims[1] > kVendorMaxChannels)
    return m.err(data.name + ": " + std::to_string(e.dims[1]) + " channels, more than the limit of " +
                 std::to_string(kVendorMaxChannels));
  if (e.dims[0] > kVendorMaxSamples)
    return m.err(data.name + ": " + std::to_string(e.dims[0]) + " samples, more than the limit of " +
                 std::to_string(kVendorMaxSamples));
  impl.info.n_samples = static_cast<std::size_t>(e.dims[0]);
  impl.info.n_channels = static_cast<std::size_t>(e.dims[1]);
  return {};
}

Result<void> set_rate(const Meta& m, const std::string& what, double fs_hz, VendorFile::Impl& impl) {
  if (!(fs_hz > 0) || !std::isfinite(fs_hz))
    return m.err(what + ": sampling rate must be > 0, got " + std::to_string(fs_hz) + " Hz");
  impl.info.fs_hz = snap_rate(fs_hz);
  return {};
}

// ---- ASN OptoDAS

Result<void> open_asn(const Meta& m, VendorFile::Impl& impl) {
  impl.info.format = "asn";
  DASFLOW_TRY_ASSIGN(data, m.dataset("/data"));
  DASFLOW_TRY(read_data_shape(m, data, impl));
  const std::size_t n_channels = impl.info.n_channels;

  if (m.has_dataset("/header/dimensionNames")) {
    DASFLOW_TRY_ASSIGN(names_node, m.dataset("/header/dimensionNames"));
    DASFLOW_TRY_ASSIGN(names, m.strings(names_node, 16));
    DASFLOW_TRY(check_time_major(m, names_node.name, names));
  }

  DASFLOW_TRY_ASSIGN(dt_node, m.dataset("/header/dt"));
  DASFLOW_TRY_ASSIGN(dt, m.scalar(dt_node));
  if (!(dt > 0)) return m.err("/header/dt: sample interval must be > 0, got " + std::to_string(dt) + " s");
  DASFLOW_TRY(set_rate(m, "/header/dt", 1.0 / dt, impl));

  DASFLOW_TRY_ASSIGN(time_node, m.dataset("/header/time"));
  DASFLOW_TRY_ASSIGN(t0, m.scalar(time_node));
  const auto start_ns = posix_seconds_to_ns(t0);
  if (!start_ns) return m.err("/header/time: " + std::to_string(t0) + " s is not a usable POSIX time");
  impl.info.start_ns = *start_ns;

  DASFLOW_TRY_ASSIGN(dx_node, m.dataset("/header/dx"));
  DASFLOW_TRY_ASSIGN(dx, m.scalar(dx_node));
  if (!(dx > 0)) return m.err("/header/dx: channel spacing must be > 0, got " + std::to_string(dx) + " m");
  impl.info.coords.dx_m = dx;

  // Channel numbers: evenly spaced, one per column.
  DASFLOW_TRY_ASSIGN(ch_node, m.dataset("/header/channels"));
  DASFLOW_TRY_ASSIGN(channels, m.int64s(ch_node, kVendorMaxChannels));
  if (channels.size() != n_channels)
    return m.err("/header/channels lists " + std::to_string(channels.size()) + " channels but /data has " +
                 std::to_string(n_channels) + " columns");
  constexpr std::int64_t kMaxChannelNumber = std::int64_t{1} << 50; // keeps differences far from overflow
  for (const std::int64_t ch : channels)
    if (ch > kMaxChannelNumber || ch < -kMaxChannelNumber)
      return m.err("/header/channels: implausible channel number " + std::to_string(ch));
  const std::int64_t step = channels.size() > 1 ? channels[1] - channels[0] : 1;
  if (step == 0) return m.err("/header/channels: repeated channel number " + std::to_string(channels[0]));
  for (std::size_t i = 1; i < channels.size(); ++i)
    if (channels[i] - channels[i - 1] != step)
      return m.err("/header/channels is not evenly spaced: channels[" + std::to_string(i - 1) +
                   "] = " + std::to_string(channels[i - 1]) + ", channels[" + std::to_string(i) +
                   "] = " + std::to_string(channels[i]) + ", but the first step is " + std::to_string(step) +
                   " (several ROIs in one file are not supported)");
  impl.info.coords.first = channels[0];
  impl.info.coords.step = step;

  std::string unit;
  if (m.has_dataset("/header/unit")) {
    DASFLOW_TRY_ASSIGN(unit_node, m.dataset("/header/unit"));
    DASFLOW_TRY_ASSIGN(u, m.string_value(unit_node));
    unit = std::move(u);
  }

  // Scale = dataScale / sensitivities[0] (per channel when the row has one entry per channel).
  double data_scale = 1.0;
  if (m.has_dataset("/header/dataScale")) {
    DASFLOW_TRY_ASSIGN(scale_node, m.dataset("/header/dataScale"));
    DASFLOW_TRY_ASSIGN(s, m.scalar(scale_node));
    if (s == 0) return m.err("/header/dataScale is 0");
    data_scale = s;
  } else {
    // Files older than dataScale hold phase-rate counts; ASN's reader defines their scale as
    // pi / 2^29 / dt / gaugeLength in rad/m/s.
    DASFLOW_TRY_ASSIGN(gl_node, m.dataset("/header/gaugeLength"));
    DASFLOW_TRY_ASSIGN(gauge_m, m.scalar(gl_node));
    if (!(gauge_m > 0)) return m.err("/header/gaugeLength must be > 0 (needed without /header/dataScale)");
    data_scale = std::numbers::pi / 536870912.0 / dt / gauge_m;
    unit = "rad/m/s";
  }
  std::vector<double> scale{data_scale};
  if (m.has_dataset("/header/sensitivities")) {
    std::string sens_unit;
    if (m.has_dataset("/header/sensitivityUnits")) {
      DASFLOW_TRY_ASSIGN(su_node, m.dataset("/header/sensitivityUnits"));
      DASFLOW_TRY_ASSIGN(units, m.strings(su_node, 1024));
      if (!units.empty()) sens_unit = units[0];
    }
    // "NA" marks an unknown sensitivity: the data stay in header/unit.
    if (sens_unit != "NA") {
      DASFLOW_TRY_ASSIGN(sens_node, m.dataset("/header/sensitivities"));
      DASFLOW_TRY_ASSIGN(e, m.extent(sens_node));
      DASFLOW_TRY_ASSIGN(sens, m.doubles(sens_node, 16 * kVendorMaxChannels));
      const std::size_t row = e.dims.size() == 2 ? static_cast<std::size_t>(e.dims[1]) : sens.size();
      if (sens.empty() || row == 0) return m.err("/header/sensitivities is empty");
      if (row != 1 && row != n_channels)
        return m.err("/header/sensitivities has " + std::to_string(row) + " values per row, expected 1 or " +
                     std::to_string(n_channels) + " (one per channel)");
      scale.assign(row, 0.0);
      for (std::size_t c = 0; c < row; ++c) {
        if (!std::isfinite(sens[c]) || sens[c] == 0)
          return m.err("/header/sensitivities[0][" + std::to_string(c) + "] = " + std::to_string(sens[c]) +
                       ": must be finite and non-zero");
        scale[c] = data_scale / sens[c];
      }
      unit = divide_unit(unit, sens_unit);
    }
  }
  impl.scale = std::move(scale);
  impl.info.unit = std::move(unit);
  impl.data_path = data.name;
  impl.data = std::move(data.h);
  return {};
}

// ---- PRODML 2.x

constexpr const char* kRawGroup = "/Acquisition/Raw[0]";

/// Names of the first few links of a group, for messages.
std::string list_group(const Meta& m, const std::string& abs_path) {
  auto g = m.group(abs_path);
  if (!g.ok()) return "";
  H5G_info_t gi{};
  if (H5Gget_info(g->get(), &gi) < 0) return "";
  std::vector<std::string> names;
  for (hsize_t i = 0; i < gi.nlinks && i < 8; ++i) {
    char name[256] = {};
    if (H5Lget_name_by_idx(g->get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT) < 0) break;
    names.push_back(abs_path + "/" + name);
  }
  H5Eclear2(H5E_DEFAULT);
  return join(names);
}

Error prodml_processed_only(const Meta& m) {
  return m.err("PRODML file holds processed data only " + list_group(m, "/Acquisition/Processed") +
               " and no raw data (" + kRawGroup +
               "/RawData): processed products such as FBE band energies cannot be replayed as a DAS stream");
}

/// Spatial sampling in metres from its value and unit attribute (2.0 `…Unit`, 2.1 `….uom`).
Result<double> prodml_spacing_m(const Meta& m, hid_t acq) {
  DASFLOW_TRY_ASSIGN(node, m.attribute(acq, "/Acquisition", "SpatialSamplingInterval"));
  DASFLOW_TRY_ASSIGN(dx, m.scalar(node));
  std::string unit;
  for (const char* name : {"SpatialSamplingIntervalUnit", "SpatialSamplingInterval.uom"}) {
    if (!Meta::has_attr(acq, name)) continue;
    DASFLOW_TRY_ASSIGN(unit_node, m.attribute(acq, "/Acquisition", name));
    DASFLOW_TRY_ASSIGN(u, m.string_value(unit_node));
    unit = lower(u);
    break;
  }
  double factor = 1.0;
  if (unit == "ft")
    factor = 0.3048;
  else if (!(unit.empty() || unit == "m" || unit == "metre" || unit == "meter" || unit == "metres" || unit == "meters"))
    return m.err("/Acquisition@SpatialSamplingInterval: unsupported unit '" + unit + "'");
  if (!(dx > 0)) return m.err("/Acquisition@SpatialSamplingInterval must be > 0, got " + std::to_string(dx));
  return dx * factor;
}

/// Element i of a 1-D int64 dataset, read alone (a hyperslab of one element).
Result<std::int64_t> int64_at(const Meta& m, const Node& n, hsize_t i) {
  const Handle fs = space_of(n);
  const hsize_t one = 1;
  const Handle ms(H5Screate_simple(1, &one, nullptr), H5Sclose);
  if (!fs.valid() || !ms.valid() || H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, &i, nullptr, &one, nullptr) < 0)
    return m.err_h5("cannot select " + n.name + "[" + std::to_string(i) + "]");
  std::int64_t v = 0;
  if (H5Dread(n.h.get(), H5T_NATIVE_INT64, ms.get(), fs.get(), H5P_DEFAULT, &v) < 0)
    return m.err_h5("cannot read " + n.name + "[" + std::to_string(i) + "]");
  return v;
}

Result<void> open_prodml(const Meta& m, VendorFile::Impl& impl) {
  impl.info.format = "prodml";
  const std::string raw_path = kRawGroup;
  const bool has_raw_data = m.has_dataset(raw_path + "/RawData");
  if (!has_raw_data && m.has_group("/Acquisition/Processed")) return prodml_processed_only(m);
  DASFLOW_TRY_ASSIGN(acq, m.group("/Acquisition"));
  DASFLOW_TRY_ASSIGN(raw, m.group(raw_path));
  DASFLOW_TRY_ASSIGN(data, m.dataset(raw_path + "/RawData"));
  DASFLOW_TRY(read_data_shape(m, data, impl));
  const std::size_t n_samples = impl.info.n_samples;

  // Dimensions: on RawData (2.0), sometimes on the Raw group.
  for (const hid_t obj : {data.h.get(), raw.get()}) {
    if (!Meta::has_attr(obj, "Dimensions")) continue;
    const std::string owner = obj == raw.get() ? raw_path : data.name;
    DASFLOW_TRY_ASSIGN(dims_node, m.attribute(obj, owner, "Dimensions"));
    DASFLOW_TRY_ASSIGN(names, m.strings(dims_node, 16));
    DASFLOW_TRY(check_time_major(m, dims_node.name, names));
    break;
  }

  if (Meta::has_attr(raw.get(), "NumberOfLoci")) {
    DASFLOW_TRY_ASSIGN(loci_node, m.attribute(raw.get(), raw_path, "NumberOfLoci"));
    DASFLOW_TRY_ASSIGN(loci, m.int64_scalar(loci_node));
    if (loci != static_cast<std::int64_t>(impl.info.n_channels))
      return m.err(loci_node.name + " = " + std::to_string(loci) + " but " + data.name + " has " +
                   std::to_string(impl.info.n_channels) + " columns");
  }

  // Time of every row: int64 µs since the epoch. Only the first and last are read.
  DASFLOW_TRY_ASSIGN(time_node, m.dataset(raw_path + "/RawDataTime"));
  DASFLOW_TRY_ASSIGN(time_extent, m.extent(time_node));
  DASFLOW_TRY_ASSIGN(time_type, m.type_info(time_node));
  if (time_type.cls != H5T_INTEGER) return m.err(time_node.name + ": expected integer microseconds");
  if (time_extent.dims.size() != 1 || time_extent.dims[0] != n_samples)
    return m.err(time_node.name + ": expected " + std::to_string(n_samples) + " times (one per row of " + data.name +
                 "), found " + std::to_string(time_extent.n_points));
  double fs_hz = 0;
  const bool has_rate = Meta::has_attr(raw.get(), "OutputDataRate");
  if (has_rate) {
    DASFLOW_TRY_ASSIGN(rate_node, m.attribute(raw.get(), raw_path, "OutputDataRate"));
    DASFLOW_TRY_ASSIGN(rate, m.scalar(rate_node));
    DASFLOW_TRY(set_rate(m, rate_node.name, rate, impl));
    fs_hz = impl.info.fs_hz;
  }
  if (n_samples > 0) {
    DASFLOW_TRY_ASSIGN(t_first_us, int64_at(m, time_node, 0));
    constexpr std::int64_t kMaxUs = std::numeric_limits<std::int64_t>::max() / 1000;
    if (t_first_us > kMaxUs || t_first_us < -kMaxUs)
      return m.err(time_node.name + "[0] = " + std::to_string(t_first_us) + " µs is out of range");
    impl.info.start_ns = t_first_us * 1000;
    if (n_samples > 1) {
      DASFLOW_TRY_ASSIGN(t_last_us, int64_at(m, time_node, n_samples - 1));
      const double span_us = static_cast<double>(t_last_us) - static_cast<double>(t_first_us);
      if (!has_rate) {
        if (!(span_us > 0))
          return m.err(time_node.name + " does not increase and " + raw_path + "@OutputDataRate is missing");
        DASFLOW_TRY(set_rate(m, time_node.name, static_cast<double>(n_samples - 1) * 1e6 / span_us, impl));
      } else {
        // The rows must sit on the stated rate's grid (within half a sample): a file with gaps or
        // a wrong rate would otherwise replay its samples at the wrong times.
        const double expected_us = static_cast<double>(n_samples - 1) * 1e6 / fs_hz;
        if (std::fabs(span_us - expected_us) > 0.5e6 / fs_hz)
          return m.err(time_node.name + " spans " + std::to_string(span_us) + " µs over " + std::to_string(n_samples) +
                       " rows, but " + raw_path + "@OutputDataRate = " + std::to_string(fs_hz) + " Hz implies " +
                       std::to_string(expected_us) + " µs (gap in the file or wrong rate)");
      }
    }
  }
  if (impl.info.fs_hz <= 0)
    return m.err(raw_path + "@OutputDataRate is missing and " + time_node.name + " has fewer than 2 rows");

  DASFLOW_TRY_ASSIGN(dx, prodml_spacing_m(m, acq.get()));
  impl.info.coords.dx_m = dx;
  impl.info.coords.step = 1;
  {
    const bool on_raw = Meta::has_attr(raw.get(), "StartLocusIndex");
    DASFLOW_TRY_ASSIGN(start_node, on_raw ? m.attribute(raw.get(), raw_path, "StartLocusIndex")
                                          : m.attribute(acq.get(), "/Acquisition", "StartLocusIndex"));
    DASFLOW_TRY_ASSIGN(first, m.int64_scalar(start_node));
    impl.info.coords.first = first;
  }
  if (Meta::has_attr(raw.get(), "RawDataUnit")) {
    DASFLOW_TRY_ASSIGN(unit_node, m.attribute(raw.get(), raw_path, "RawDataUnit"));
    DASFLOW_TRY_ASSIGN(unit, m.string_value(unit_node));
    impl.info.unit = std::move(unit);
  }
  // PRODML 2.x defines no scale factor for RawData: the stored values are returned as they are.
  impl.scale = {1.0};
  impl.data_path = data.name;
  impl.data = std::move(data.h);
  return {};
}

/// The whole metadata read, in this process. `path` exists and is a regular file.
Result<std::unique_ptr<VendorFile::Impl>> open_direct(const std::string& path, const std::string& format) {
  const QuietHdf5 quiet;
  auto impl = std::make_unique<VendorFile::Impl>();
  impl->info.path = path;
  std::error_code ec;
  impl->file_bytes = std::filesystem::file_size(path, ec);
  if (!ec) impl->file_mtime = std::filesystem::last_write_time(path, ec);
  if (ec) return fail(Errc::io, path + ": cannot stat: " + ec.message());
  impl->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!impl->file.valid()) {
    const std::string reason = hdf5_reason();
    const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
    H5Eclear2(H5E_DEFAULT);
    if (is_hdf5 <= 0) return fail(Errc::io, path + ": not an HDF5 file (no HDF5 signature)");
    return fail(Errc::io, path + ": cannot open as HDF5, the file is damaged or truncated" +
                              (reason.empty() ? std::string() : " (HDF5: " + reason + ")"));
  }
  const Meta m(path, impl->file.get());
  // Layout detection. An object HDF5 cannot resolve where a layout would have it means damage,
  // reported as such rather than as an unknown layout.
  using Kind = Meta::Kind;
  const Kind k_data = m.kind_at("/data"), k_header = m.kind_at("/header");
  const Kind k_raw = m.kind_at(kRawGroup), k_acq = m.kind_at("/Acquisition");
  const Kind k_processed = k_acq == Kind::group ? m.kind_at("/Acquisition/Processed") : Kind::none;
  const bool asn = k_data == Kind::dataset && k_header == Kind::group;
  const bool prodml = k_raw == Kind::group || (k_acq == Kind::group && k_processed == Kind::group);
  const auto damaged = [&](std::initializer_list<Kind> kinds) {
    return std::any_of(kinds.begin(), kinds.end(), [](Kind k) { return k == Kind::unreadable; });
  };
  const auto damage_error = [&] { return m.err("damaged HDF5 structure, cannot resolve " + m.first_damage()); };
  std::string chosen = format;
  if (format == "auto") {
    if (asn)
      chosen = "asn";
    else if (prodml)
      chosen = "prodml";
    else if (damaged({k_data, k_header, k_raw, k_acq, k_processed}))
      return damage_error();
    else
      return fail(Errc::io, "unrecognised DAS HDF5 layout in " + path +
                                " (looked for /data+/header (ASN) and /Acquisition/Raw[0] (PRODML))");
  } else if (format == "asn" && !asn) {
    if (damaged({k_data, k_header})) return damage_error();
    return m.err("not an ASN OptoDAS file (no /data dataset with a /header group)");
  } else if (format == "prodml" && !prodml) {
    if (damaged({k_raw, k_acq, k_processed})) return damage_error();
    return m.err("not a PRODML file (no /Acquisition/Raw[0] group)");
  }
  if (chosen == "asn") {
    DASFLOW_TRY(open_asn(m, *impl));
  } else {
    DASFLOW_TRY(open_prodml(m, *impl));
  }
  impl->scale_is_one = std::all_of(impl->scale.begin(), impl->scale.end(), [](double s) { return s == 1.0; });
  return impl;
}

/// Reopens the file and its dataset for reading if release() closed them, after checking that the
/// file on disk is still the one whose metadata were read.
Result<void> ensure_open(const VendorFile::Impl& im) {
  if (im.data.valid()) {
    if (!in_isolated_child()) note_read(&im);
    return {};
  }
  const std::string& path = im.info.path;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  const auto mtime = ec ? std::filesystem::file_time_type{} : std::filesystem::last_write_time(path, ec);
  if (ec) return fail(Errc::io, path + ": cannot reopen: " + ec.message());
  if (bytes != im.file_bytes || mtime != im.file_mtime)
    return fail(Errc::io, path + ": the file changed on disk since it was opened (size " +
                              std::to_string(im.file_bytes) + " -> " + std::to_string(bytes) +
                              " bytes or modification time); open it again");
  const QuietHdf5 quiet;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  const Meta m(path, file.get());
  if (!file.valid()) return m.err_h5("cannot reopen as HDF5");
  DASFLOW_TRY_ASSIGN(data, m.dataset(im.data_path));
  DASFLOW_TRY_ASSIGN(e, m.extent(data));
  if (e.dims.size() != 2 || e.dims[0] != im.info.n_samples || e.dims[1] != im.info.n_channels)
    return m.err(im.data_path + " changed shape since the file was opened; open it again");
  im.file = std::move(file);
  im.data = std::move(data.h);
  note_read(&im);
  return {};
}

Result<void> read_rows_impl(const VendorFile::Impl& im, std::size_t first_row, std::size_t n_rows, float* out) {
  const VendorFileInfo& in = im.info;
  if (n_rows == 0) return {};
  if (out == nullptr) return fail(Errc::internal, in.path + ": read_rows into a null buffer");
  if (first_row > in.n_samples || n_rows > in.n_samples - first_row)
    return fail(Errc::internal, in.path + ": rows [" + std::to_string(first_row) + ", " +
                                    std::to_string(first_row + n_rows) + ") are outside the file's " +
                                    std::to_string(in.n_samples) + " rows");
  const std::size_t n_ch = in.n_channels;
  const std::size_t n = n_rows * n_ch; // ≤ kVendorMaxSamples * kVendorMaxChannels: no overflow

  const Hdf5Lock lock;
  DASFLOW_TRY(ensure_open(im));
  const QuietHdf5 quiet;
  const Meta m(in.path, im.file.get());
  const Handle fspace(H5Dget_space(im.data.get()), H5Sclose);
  const hsize_t start[2] = {first_row, 0};
  const hsize_t count[2] = {n_rows, n_ch};
  if (!fspace.valid() || H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
    return m.err_h5("cannot select rows of the data");
  const Handle mspace(H5Screate_simple(2, count, nullptr), H5Sclose);
  if (!mspace.valid()) return m.err_h5("cannot create a memory dataspace");
  const auto scaled = [&](std::size_t i, double v) {
    return static_cast<float>(v * im.scale[im.scale.size() == 1 ? 0 : i % n_ch]);
  };
  const std::string what =
      "cannot read rows [" + std::to_string(first_row) + ", " + std::to_string(first_row + n_rows) + ") of the data";
  if (im.direct_float) {
    // float32 or ≤16-bit integers: HDF5 converts exactly, straight into the caller's buffer.
    if (H5Dread(im.data.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), H5P_DEFAULT, out) < 0)
      return m.err_h5(what);
    if (!im.scale_is_one)
      for (std::size_t i = 0; i < n; ++i)
        out[i] = scaled(i, static_cast<double>(out[i]));
  } else {
    // Wider integers and float64: through double so that scaling rounds once.
    std::vector<double> tmp(n);
    if (H5Dread(im.data.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT, tmp.data()) < 0)
      return m.err_h5(what);
    for (std::size_t i = 0; i < n; ++i)
      out[i] = scaled(i, tmp[i]);
  }
  return {};
}

// ---- Crash isolation.
//
// HDF5 1.10 trusts sizes and addresses in a file's metadata: a damaged local heap or B-tree node
// can make it read out of bounds and die with SIGSEGV (found by overwriting 64 bytes of the ASN
// sample's metadata, e.g. at offsets 128, 704, 832, 1408), and its error paths can leak internal
// objects. A daemon that crashes on a file restarts, replays the same file and crashes again. So
// open() first runs the whole metadata read, a walk of the chunk index and a read of the first
// and last rows in a forked child. The child sends back its Error, if any, through a pipe: a file
// it refuses is never opened by this process. fork() happens with hdf5_mutex() held, so no other
// thread is inside HDF5; malloc is fork-safe in glibc.

constexpr auto kProbeTimeout = std::chrono::seconds(60);

/// What the child does: everything open() does, then touches the chunk index and two rows.
Result<void> probe_file(const std::string& path, const std::string& format) {
  DASFLOW_TRY_ASSIGN(impl, open_direct(path, format));
  const VendorFile::Impl& im = *impl;
  const QuietHdf5 quiet;
  const Meta m(path, im.file.get());
  const Handle plist(H5Dget_create_plist(im.data.get()), H5Pclose);
  if (!plist.valid()) return m.err_h5("cannot read the storage layout of " + im.data_path);
  if (H5Pget_layout(plist.get()) == H5D_CHUNKED && im.info.n_samples > 0) {
    hsize_t chunk[2] = {0, 0};
    if (H5Pget_chunk(plist.get(), 2, chunk) != 2 || chunk[0] == 0 || chunk[1] == 0)
      return m.err_h5("cannot read the chunk shape of " + im.data_path);
    const hsize_t n_rows = im.info.n_samples, n_cols = im.info.n_channels;
    // B-tree lookups of every chunk of the grid, without reading the chunks.
    for (hsize_t r0 = 0; r0 < n_rows; r0 += chunk[0]) {
      for (hsize_t c0 = 0; c0 < n_cols; c0 += chunk[1]) {
        const hsize_t offset[2] = {r0, c0};
        unsigned filter_mask = 0;
        haddr_t addr = 0;
        hsize_t size = 0;
        if (H5Dget_chunk_info_by_coord(im.data.get(), offset, &filter_mask, &addr, &size) < 0)
          return m.err_h5("damaged chunk index of " + im.data_path + " at row " + std::to_string(r0));
      }
    }
  }
  if (im.info.n_samples > 0) {
    std::vector<float> row(im.info.n_channels);
    DASFLOW_TRY(read_rows_impl(im, 0, 1, row.data()));
    DASFLOW_TRY(read_rows_impl(im, im.info.n_samples - 1, 1, row.data()));
  }
  return {};
}

/// Runs probe_file() in a child process (isolated_call.hpp). Its Error when it refused the file, an
/// Error when it crashed or hung, nothing when the file can be opened here.
Result<void> probe_in_child(const std::string& path, const std::string& format) {
  auto r = run_isolated(
      path,
      [&]() -> Result<std::string> {
        DASFLOW_TRY(probe_file(path, format));
        return std::string{};
      },
      kProbeTimeout);
  if (!r.ok()) return r.error();
  return {};
}

} // namespace

Result<VendorFile> VendorFile::open(const std::string& path, const std::string& format) {
  if (format != "auto" && format != "asn" && format != "prodml")
    return fail(Errc::config,
                "vendor file format must be auto, asn or prodml, got '" + format + "' (for " + path + ")");
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return fail(Errc::io, path + ": no such file");
  if (!std::filesystem::is_regular_file(st)) return fail(Errc::io, path + ": not a regular file");

  const Hdf5Lock lock;
  DASFLOW_TRY(probe_in_child(path, format));
  DASFLOW_TRY_ASSIGN(impl, open_direct(path, format));
  VendorFile f(std::move(impl));
  f.release(); // reopened by the first read_rows()
  return f;
}

Result<void> VendorFile::read_rows(std::size_t first_row, std::size_t n_rows, float* out) const {
  return read_rows_impl(*impl_, first_row, n_rows, out);
}

void VendorFile::release() {
  if (impl_) impl_->close_handles();
}

Result<std::vector<VendorFile>> open_replay_set(const std::string& path, const std::string& format) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return fail(Errc::io, path + ": no such file or directory");
  std::vector<std::string> paths;
  if (fs::is_directory(st)) {
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code ec2;
      if (!it->is_regular_file(ec2) || ec2) continue;
      const std::string ext = lower(it->path().extension().string());
      if (ext == ".h5" || ext == ".hdf5" || ext == ".he5") paths.push_back(it->path().string());
    }
    if (ec) return fail(Errc::io, path + ": cannot list the directory: " + ec.message());
    if (paths.empty()) return fail(Errc::io, path + ": no *.h5, *.hdf5 or *.he5 files in the directory");
    std::sort(paths.begin(), paths.end());
  } else {
    paths.push_back(path);
  }
  std::vector<VendorFile> files;
  files.reserve(paths.size());
  for (const auto& p : paths) {
    DASFLOW_TRY_ASSIGN(f, VendorFile::open(p, format));
    files.push_back(std::move(f));
  }
  std::stable_sort(files.begin(), files.end(),
                   [](const VendorFile& a, const VendorFile& b) { return a.info().start_ns < b.info().start_ns; });
  return files;
}

} // namespace dasflow::io
