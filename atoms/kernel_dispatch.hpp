#pragma once
// Runtime dispatch for the hot kernels: GCC compiles a function marked DASFLOW_KERNEL once per
// x86-64 micro-architecture level (v4 = AVX-512, v3 = AVX2, baseline SSE2) and picks the best at load
// time, so one binary is fast on every machine. Results are identical across the clones: the project
// builds with -ffp-contract=off, so no clone fuses a multiply and an add, and the kernels vectorise
// only across independent channels (no reassociation).

//
// Not under ThreadSanitizer: the clones are chosen by ifunc resolvers that the dynamic loader runs
// before TSan's runtime is up, and TSan's instrumentation of the resolver then crashes the program
// at load (gcc 12, seen on every binary linking dasflow_atoms).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define DASFLOW_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DASFLOW_KERNEL
#endif
