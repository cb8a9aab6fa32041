#ifndef VROEG_SERVER_EARLY_WARNING_FIGURES_H_
#define VROEG_SERVER_EARLY_WARNING_FIGURES_H_

#include <array>
#include <compare>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "common/catalogue.h"
#include "server/early_warning/roles.h"
#include "server/early_warning/series.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg::early_warning {

// The derived early-warning figures (docs/early-warning.md): pure functions
// of a snapshot, the catalogue, the settings, the region and the time. Nothing here reads a
// clock or knows Prometheus. Absent values (std::nullopt) are figures that cannot be computed,
// such as a ratio whose denominator is zero; they are left off /metrics.

// What the figures are computed from. Pointers are not owned and must outlive the call.
struct Context {
  const Catalogue* catalogue = nullptr;
  const IndicatorRoles* roles = nullptr;
  // With defaults applied (ApplyEarlyWarningDefaults).
  const config::v1::EarlyWarning* settings = nullptr;
  // The collector's region: its member municipalities with validity.
  const config::v1::Region* region = nullptr;
  absl::Time now;
  // When the collector started: the due time of an expected reporter that never reported.
  absl::Time started;
};

// Waiting stages: registration to intake, intake to start of treatment.
enum Stage { kIntake = 0, kTreatment = 1 };
inline constexpr int kStageCount = 2;
using PerStage = std::array<std::optional<double>, kStageCount>;

// One reporter's series for one care form and municipality (either may be empty).
struct ReporterCell {
  std::string reporter;  // URN
  std::string care_form;
  std::string municipality;
  auto operator<=>(const ReporterCell&) const = default;
};

// Region x care form.
struct CareFormFigures {
  // Σ max(0, operational − occupied) over reporter series with both.
  std::optional<double> places_available;
  // Σ waiting youths at series whose mean waiting time for the stage exceeds the norm.
  PerStage waiting_beyond_norm_youths;
  // The above / Σ waiting youths.
  PerStage waiting_beyond_norm_ratio;
  // Reporters with an intake stop / reporters reporting intake stops.
  std::optional<double> intake_stop_ratio;
  // Largest reporter share of operational places, and Σ share² (HHI on 0..1).
  std::optional<double> capacity_largest_share;
  std::optional<double> capacity_hhi;
  // Σ latest / Σ mean of up to trend_periods previous periods − 1.
  std::optional<double> places_operational_change_ratio;
  std::optional<double> waiting_youths_change_ratio;
  // Σ latest beyond-norm youths − Σ mean of previous beyond-norm youths.
  PerStage waiting_beyond_norm_youths_change;
  // Consecutive newest periods with Σ occupied / Σ operational above occupancy_high_ratio.
  std::optional<int> occupancy_high_periods;
};

// A CBS class: ordinal 1 is the lowest band; label e.g. "10-20%" or ">=1.3".
struct CbsBand {
  int ordinal = 0;
  std::string label;
  bool operator==(const CbsBand&) const = default;
};

// The band of `value` among ascending lower `bounds`; a value on a bound is in the band above
// it. Labels are in percent (bounds × 100) when `percent`, else plain numbers.
CbsBand Classify(double value, const google::protobuf::RepeatedField<double>& bounds, bool percent);

// One reporter's organisation-level figures (providers and certified institutions).
struct ProviderFigures {
  // Σ vacancies / (Σ filled + Σ vacancies).
  std::optional<double> staff_vacancy_ratio;
  // Equity / total assets, of the latest period with both.
  std::optional<double> solvency_ratio;
  // Current assets / current liabilities, of the latest period with both.
  std::optional<double> current_ratio;
  // Operating result / revenue of the quarter (derived from year-to-date revenue).
  std::optional<double> result_margin_ratio;
  // Equity / annualised year-to-date total revenue.
  std::optional<double> budget_ratio;
  std::optional<CbsBand> solvency_band;
  std::optional<CbsBand> current_ratio_band;
  std::optional<CbsBand> profitability_band;
  // Youth-care revenue year to date × 12 / months elapsed.
  std::optional<double> youth_revenue_annualised;
  // Annualised youth-care revenue at least the threshold, or designated.
  bool early_warning_scope = false;
  // Of the latest period of revenue by municipality: largest municipality / Σ, and Σ over the
  // region's members / Σ (absent when the region lists no members).
  std::optional<double> revenue_share_largest_municipality;
  std::optional<double> revenue_share_region;
  // Consecutive quarters back from the latest with an operating result below zero.
  std::optional<int> negative_result_quarters;
};

// One expected reporter and dataset.
struct ComplianceFigures {
  // 00:00 UTC of the day after the end of the newest period received; absent if none.
  std::optional<absl::Time> last_period_end;
  absl::Time due;
  bool overdue = false;
};

struct DatasetFigures {
  int expected_reporters = 0;
  // Expected reporters not overdue / expected reporters.
  std::optional<double> reporting_ratio;
};

struct Figures {
  std::map<std::string, CareFormFigures> care_forms;
  // Per reporter series: max(0, operational − occupied).
  std::map<ReporterCell, double> places_available;
  // (reporter URN, care form) -> reporter's operational places / the region's.
  std::map<std::pair<std::string, std::string>, double> capacity_share;
  // Region: Σ vacancies / (Σ filled + Σ vacancies).
  std::optional<double> staff_vacancy_ratio;
  // By reporter URN.
  std::map<std::string, ProviderFigures> providers;
  std::map<std::pair<std::string, catalogue::v1::Dataset>, ComplianceFigures> compliance;
  // Every dataset of the catalogue.
  std::map<catalogue::v1::Dataset, DatasetFigures> datasets;
};

// Reporters left out because they have been silent too long.
struct Expiry {
  std::set<std::string> reporters;  // URNs
  size_t series = 0;
  // The first instant after `now` at which a reporter kept now would be dropped, if nothing new
  // arrives from it; InfiniteFuture when none would.
  absl::Time next = absl::InfiniteFuture();
};

// Removes from `snapshot` the series of every reporter whose newest received_at is more than
// reporter_expiry_days before `now`, unless it is an expected reporter; says which in `expiry`,
// and when the next would go.
Snapshot DropExpired(Snapshot snapshot, const config::v1::EarlyWarning& settings, absl::Time now,
                     Expiry* expiry);

// When the period after the one ending on `newest_end` is due: 00:00 UTC after its end plus the
// grace of `cadence`. The period of that cadence starting on day `s` is thus due at
// DueAfter(s - 1, ...).
absl::Time DueAfter(Day newest_end, type::v1::Granularity cadence, const config::v1::Grace& grace);

// Every derived figure of `snapshot` (already without expired reporters).
Figures ComputeFigures(const Snapshot& snapshot, const Context& context);

}  // namespace vroeg::early_warning

#endif  // VROEG_SERVER_EARLY_WARNING_FIGURES_H_
