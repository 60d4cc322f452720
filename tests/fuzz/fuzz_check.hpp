// tests/fuzz/fuzz_check.hpp — fuzz helper: an invariant check that aborts (so libFuzzer records the input and the
// corpus replay test fails) with the expression and line. Never compiled out.
#pragma once
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);    \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
