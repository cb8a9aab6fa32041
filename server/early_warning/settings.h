#ifndef VROEG_SERVER_EARLY_WARNING_SETTINGS_H_
#define VROEG_SERVER_EARLY_WARNING_SETTINGS_H_

#include "absl/status/status.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg::early_warning {

// Fills in every default of `settings` (the collector's `early_warning` block) and checks the
// result: non-negative finite norms, an occupancy threshold within 0..1, 1 <= trend_periods <
// history_periods <= 260, a non-negative scope threshold, 8-digit AGB codes, reporter URNs of
// kinds that submit (normalised in place), an expiry of at least one day and strictly ascending
// finite band bounds. INVALID_ARGUMENT names the key (e.g. "early_warning.trend_periods").
// The only place where early-warning defaults live.
absl::Status ApplyEarlyWarningDefaults(config::v1::EarlyWarning* settings);

}  // namespace vroeg::early_warning

#endif  // VROEG_SERVER_EARLY_WARNING_SETTINGS_H_
