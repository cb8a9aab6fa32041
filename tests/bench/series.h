#ifndef VROEG_TESTS_BENCH_SERIES_H_
#define VROEG_TESTS_BENCH_SERIES_H_

#include <string>

#include "tests/support/shipped_care_forms.h"

namespace vroeg::bench {

// Series of indicator wachtenden that a provider in Flevoland may send: every care form of the
// catalogue (deploy/catalogue/catalogue.yaml) times every member municipality of the region the
// benchmark collector is configured with.
inline constexpr int kCareFormCount = vroeg::testing::kShippedCareForms.size();
inline constexpr int kMunicipalityCount = 6;
inline constexpr int kSeriesPerReporter = kCareFormCount * kMunicipalityCount;

struct SeriesLabels {
  const char* care_form;
  const char* municipality;
};

// Series `index` (0 <= index < kSeriesPerReporter).
SeriesLabels WachtendenSeries(int index);

// Calendar month `index` counted from January 2000 (index >= 0), as inclusive ISO dates.
struct MonthPeriod {
  std::string start;
  std::string end;
};
MonthPeriod MonthFrom2000(int index);

}  // namespace vroeg::bench

#endif  // VROEG_TESTS_BENCH_SERIES_H_
