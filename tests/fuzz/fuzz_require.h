#ifndef VROEG_TESTS_FUZZ_FUZZ_REQUIRE_H_
#define VROEG_TESTS_FUZZ_FUZZ_REQUIRE_H_

#include <cstdio>
#include <cstdlib>

namespace vroeg::fuzz {

// Aborts, naming the broken promise, when `ok` is false. Fuzz targets use it for the contracts
// of the code under test, so that a wrong answer is reported like a crash, with the input.
inline void Require(bool ok, const char* promise) {
  if (ok) return;
  std::fprintf(stderr, "broken promise: %s\n", promise);
  std::abort();
}

}  // namespace vroeg::fuzz

#endif  // VROEG_TESTS_FUZZ_FUZZ_REQUIRE_H_
