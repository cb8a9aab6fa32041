#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_CELL_TEXT_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_CELL_TEXT_H_

// Cells as text, for the text formats (CSV and JSON Lines). Thread-safe: pure functions.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace vroeg::export_format {

// Appends the shortest text that reads back as exactly `value`, without thousands separators
// and, for ordinary magnitudes, without an exponent (12, 0.25, -61000, 1234567.89), with
// `decimal_separator` before the fraction. Appends nothing for a value that is not finite.
void AppendNumber(double value, char decimal_separator, std::string* out);

// YYYY-MM-DD.
void AppendDate(absl::CivilDay day, std::string* out);

// UTC. RFC 3339 with as many fractional digits as needed (2026-10-01T08:30:00.25Z), or, when
// `spreadsheet`, "2026-10-01 08:30:00" (whole seconds), which spreadsheets read as a date and
// time in any locale.
void AppendTimestamp(absl::Time time, bool spreadsheet, std::string* out);

// Appends `text` as a JSON string, quotes included: `"` and `\` escaped, control characters as
// \u00XX, everything else (valid UTF-8, as protobuf strings are) as it is.
void AppendJsonString(absl::string_view text, std::string* out);

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_CELL_TEXT_H_
