#include "tests/bench/series.h"

#include "absl/strings/str_format.h"

namespace vroeg::bench {
namespace {

constexpr const char* kMunicipalities[kMunicipalityCount] = {"GM0034", "GM0303", "GM0995",
                                                             "GM0171", "GM0184", "GM0050"};

}  // namespace

SeriesLabels WachtendenSeries(int index) {
  return {vroeg::testing::kShippedCareForms[index % kCareFormCount],
          kMunicipalities[index / kCareFormCount]};
}

MonthPeriod MonthFrom2000(int index) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int year = 2000 + index / 12;
  const int month = 1 + index % 12;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int last = month == 2 && leap ? 29 : kDays[month - 1];
  return {absl::StrFormat("%04d-%02d-01", year, month),
          absl::StrFormat("%04d-%02d-%02d", year, month, last)};
}

}  // namespace vroeg::bench
