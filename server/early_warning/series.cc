#include "server/early_warning/series.h"

#include <algorithm>
#include <tuple>

#include "common/period.h"

namespace vroeg::early_warning {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

}  // namespace

Day ToDay(absl::CivilDay day) { return static_cast<Day>(day - kEpoch); }

absl::CivilDay ToCivilDay(Day day) { return kEpoch + day; }

absl::StatusOr<Day> ParseDay(absl::string_view iso_date) {
  absl::StatusOr<absl::CivilDay> day = ParseIsoDate(iso_date);
  if (!day.ok()) return day.status();
  return ToDay(*day);
}

absl::Time StartOfDay(Day day) { return absl::FromCivil(ToCivilDay(day), absl::UTCTimeZone()); }

bool Newer(const PeriodValue& a, const PeriodValue& b) {
  return std::tie(a.end, a.start) > std::tie(b.end, b.start);
}

void SeriesHistory::Record(Day start, Day end, double value, absl::Time received_at,
                           size_t window) {
  newest_received = std::max(newest_received, absl::ToUnixSeconds(received_at));
  const PeriodValue incoming{start, end, value};
  // First period not older than the incoming one.
  auto it =
      std::lower_bound(periods.begin(), periods.end(), incoming,
                       [](const PeriodValue& a, const PeriodValue& b) { return Newer(b, a); });
  if (it != periods.end() && it->start == start && it->end == end) {
    it->value = value;
    return;
  }
  if (periods.size() >= window && it == periods.begin()) return;
  periods.insert(it, incoming);
  if (periods.size() > window) periods.erase(periods.begin(), periods.end() - window);
}

const PeriodValue* SeriesHistory::Find(Day start, Day end) const {
  const PeriodValue probe{start, end, 0};
  auto it =
      std::lower_bound(periods.begin(), periods.end(), probe,
                       [](const PeriodValue& a, const PeriodValue& b) { return Newer(b, a); });
  if (it == periods.end() || it->start != start || it->end != end) return nullptr;
  return &*it;
}

}  // namespace vroeg::early_warning
