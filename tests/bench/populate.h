#ifndef VROEG_TESTS_BENCH_POPULATE_H_
#define VROEG_TESTS_BENCH_POPULATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vroeg::bench {

// What to write: `reporters` providers (urn:vroeg:provider:<first_agb + i>), each with
// `series_per_reporter` series of indicator wachtenden (care form x member municipality of
// Flevoland, at most 54), each with `periods` consecutive months from January 2000 on. Every
// observation is current: exposed series = reporters x series_per_reporter.
struct PopulateSpec {
  std::string database;
  int reporters = 1;
  int series_per_reporter = 54;
  int periods = 1;
  int first_agb = 97000000;
  // Observations per committed submission: large, as a bulk load would send them.
  int submission_size = 50000;
};

struct PopulateResult {
  int64_t observations = 0;
  int64_t submissions = 0;
  int64_t series = 0;
  absl::Duration elapsed;
};

// Writes `spec` through the real SqliteStore (WAL, synchronous=FULL, one transaction per
// submission). Errors: INVALID_ARGUMENT for a spec out of range, else what SqliteStore returns.
absl::StatusOr<PopulateResult> Populate(const PopulateSpec& spec);

}  // namespace vroeg::bench

#endif  // VROEG_TESTS_BENCH_POPULATE_H_
