#ifndef VROEG_SERVER_EARLY_WARNING_SERIES_H_
#define VROEG_SERVER_EARLY_WARNING_SERIES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/storage/observation_store.h"

namespace vroeg::early_warning {

// A calendar date as days since 1970-01-01: four bytes instead of a string, since history is
// kept for every series in memory.
using Day = int32_t;

Day ToDay(absl::CivilDay day);
absl::CivilDay ToCivilDay(Day day);
// Parses YYYY-MM-DD; INVALID_ARGUMENT when it is not a date.
absl::StatusOr<Day> ParseDay(absl::string_view iso_date);
// 00:00 UTC of `day`.
absl::Time StartOfDay(Day day);

// The current value of one period; `start` and `end` are inclusive.
struct PeriodValue {
  Day start = 0;
  Day end = 0;
  double value = 0;
  bool operator==(const PeriodValue&) const = default;
};

// Newer means a later end, then a later start: the order in which periods supersede each other.
bool Newer(const PeriodValue& a, const PeriodValue& b);

// The recent history of one series: the current values of its newest periods, oldest first,
// and when the series last received anything.
struct SeriesHistory {
  std::vector<PeriodValue> periods;
  // Unix seconds of the newest received_at of any observation applied.
  int64_t newest_received = 0;

  // Records the current value of [start, end], replacing an earlier value of the same period
  // (a correction), and keeps only the `window` newest periods: a period older than all of
  // them is ignored. `window` must be at least 1.
  void Record(Day start, Day end, double value, absl::Time received_at, size_t window);

  // The newest period; the history must not be empty.
  const PeriodValue& latest() const { return periods.back(); }

  // The value of exactly [start, end], or nullptr.
  const PeriodValue* Find(Day start, Day end) const;
};

struct SeriesEntry {
  SeriesKey key;
  SeriesHistory history;
};

// Every series at one moment, ordered by key; each history holds at least one period.
using Snapshot = std::vector<SeriesEntry>;

}  // namespace vroeg::early_warning

#endif  // VROEG_SERVER_EARLY_WARNING_SERIES_H_
