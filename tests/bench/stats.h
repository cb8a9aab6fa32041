#ifndef VROEG_TESTS_BENCH_STATS_H_
#define VROEG_TESTS_BENCH_STATS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace vroeg::bench {

// Nearest-rank percentile of `seconds` (q in [0, 1]); 0 for an empty sample. Sorts its copy.
double Percentile(std::vector<double> seconds, double q);

// One result line, `name key=value key=value ...`, the form scripts/bench.sh parses. Values are
// printed as given; use Number for doubles.
std::string ResultLine(const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& fields);

// A double with six significant digits and no exponent below 1e15, so that shell tools can
// compare it.
std::string Number(double value);

// Seconds of a duration as a double.
inline double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace vroeg::bench

#endif  // VROEG_TESTS_BENCH_STATS_H_
