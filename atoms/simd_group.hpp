#pragma once
// Eight channels as one value: GCC vector types for the register-blocked kernels. A GroupD lives
// in registers (one AVX-512 register on x86-64-v4, two AVX registers on v3), so a kernel can keep
// per-channel state or accumulators in registers across rows instead of loading and storing them.
// Arithmetic is lane by lane in source order: with -ffp-contract=off each lane computes exactly
// what the scalar loop computes, so grouped and scalar paths agree bit for bit.

#include <cstddef>
#include <cstring>

// Passing an 8-double vector by value has a different ABI with and without AVX-512; these helpers
// are always inlined, so no call with either ABI exists: atoms/CMakeLists.txt turns GCC's -Wpsabi
// note off for the library.

namespace dasflow::atoms::simd {

inline constexpr std::size_t kGroup = 8;
using GroupD = double __attribute__((vector_size(kGroup * sizeof(double))));
using GroupF = float __attribute__((vector_size(kGroup * sizeof(float))));

/// kGroup float32 samples (unaligned), widened to double.
[[gnu::always_inline]] inline GroupD load_widen(const float* p) {
  GroupF f;
  std::memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, GroupD);
}
/// Narrows to float32 (round to nearest, as static_cast<float>) and stores (unaligned).
[[gnu::always_inline]] inline void narrow_store(float* p, GroupD v) {
  const GroupF f = __builtin_convertvector(v, GroupF);
  std::memcpy(p, &f, sizeof f);
}
[[gnu::always_inline]] inline GroupD load(const double* p) {
  GroupD v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline void store(double* p, GroupD v) { std::memcpy(p, &v, sizeof v); }

} // namespace dasflow::atoms::simd
