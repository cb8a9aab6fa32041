#include "common/period.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vroeg {
namespace {

bool IsLastDayOfMonth(absl::CivilDay day) { return absl::CivilDay(day + 1).day() == 1; }

}  // namespace

absl::StatusOr<absl::CivilDay> ParseIsoDate(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a valid date (expected YYYY-MM-DD)"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(text[i])) return bad();
  }
  auto number = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const absl::CivilDay civil(year, month, day);
  // CivilDay normalises out-of-range fields (Feb 30 becomes Mar 2); a round trip detects that.
  if (civil.year() != year || civil.month() != month || civil.day() != day || year < 1900) {
    return bad();
  }
  return civil;
}

std::string FormatIsoDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::StatusOr<type::v1::Granularity> GranularityOf(absl::CivilDay start, absl::CivilDay end) {
  if (start == end) return type::v1::GRANULARITY_DAY;
  if (end - start == 6 && absl::GetWeekday(start) == absl::Weekday::monday)
    return type::v1::GRANULARITY_WEEK;
  if (start.day() == 1 && IsLastDayOfMonth(end)) {
    const int months = (end.year() - start.year()) * 12 + (end.month() - start.month()) + 1;
    if (months == 1) return type::v1::GRANULARITY_MONTH;
    if (months == 3 && (start.month() - 1) % 3 == 0) return type::v1::GRANULARITY_QUARTER;
    if (months == 12 && start.month() == 1) return type::v1::GRANULARITY_YEAR;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("period ", FormatIsoDate(start), " to ", FormatIsoDate(end),
                   " is not a whole day, ISO week (Monday to Sunday), month, quarter or year"));
}

absl::string_view GranularityName(type::v1::Granularity granularity) {
  switch (granularity) {
    case type::v1::GRANULARITY_DAY:
      return "day";
    case type::v1::GRANULARITY_WEEK:
      return "week";
    case type::v1::GRANULARITY_MONTH:
      return "month";
    case type::v1::GRANULARITY_QUARTER:
      return "quarter";
    case type::v1::GRANULARITY_YEAR:
      return "year";
    default:
      return "unspecified";
  }
}

absl::CivilDay DutchDate(absl::Time time) {
  static const absl::TimeZone* const kZone = [] {
    auto* zone = new absl::TimeZone(absl::UTCTimeZone());
    absl::LoadTimeZone("Europe/Amsterdam", zone);
    return zone;
  }();
  return absl::ToCivilDay(time, *kZone);
}

}  // namespace vroeg
