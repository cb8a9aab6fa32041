#ifndef VROEG_COMMON_PERIOD_H_
#define VROEG_COMMON_PERIOD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vroeg/api/v1/observation.pb.h"

namespace vroeg {

// Parses an ISO 8601 calendar date YYYY-MM-DD and checks that the day exists.
absl::StatusOr<absl::CivilDay> ParseIsoDate(absl::string_view text);

std::string FormatIsoDate(absl::CivilDay day);

// The granularity whose natural period is exactly [start, end]: one day, an ISO week
// (Monday to Sunday), a calendar month, quarter or year. INVALID_ARGUMENT otherwise, saying so.
absl::StatusOr<type::v1::Granularity> GranularityOf(absl::CivilDay start, absl::CivilDay end);

// Lower-case name: "day", "week", "month", "quarter", "year".
absl::string_view GranularityName(type::v1::Granularity granularity);

// Today's date in the Netherlands (Europe/Amsterdam; UTC when no time zone data is installed).
absl::CivilDay DutchDate(absl::Time time);

}  // namespace vroeg

#endif  // VROEG_COMMON_PERIOD_H_
