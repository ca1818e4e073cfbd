#pragma once
/// \file assert.hpp
/// DASFLOW_ASSERT for programmer errors (never for bad input, which gets an Error). Always on: the
/// checks guard hot-path preconditions at chunk granularity, not per sample, so they cost nothing
/// measurable, and a daemon that aborts loudly beats one that writes garbage.

#include <cstdio>
#include <cstdlib>

#define DASFLOW_ASSERT(cond, msg)                                                                                      \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      std::fprintf(stderr, "dasflow: assertion failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, msg, #cond);           \
      std::abort();                                                                                                    \
    }                                                                                                                  \
  } while (false)
