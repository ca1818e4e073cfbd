#pragma once
/// \file fuzz_check.hpp
/// FUZZ_CHECK(cond): an invariant of a decoder's accepted output. A violation aborts, which
/// libFuzzer reports as a crash with the input that caused it (assert() would vanish in Release).

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                                               \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond);                               \
      std::abort();                                                                                                    \
    }                                                                                                                  \
  } while (false)
