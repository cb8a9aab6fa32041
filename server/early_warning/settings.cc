#include "server/early_warning/settings.h"

#include <cmath>
#include <initializer_list>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/identity.h"
#include "common/status_macros.h"

namespace vroeg::early_warning {
namespace {

constexpr double kIntakeNormWeeks = 4;
constexpr double kTreatmentNormWeeks = 10;
constexpr double kOccupancyHighRatio = 0.95;
constexpr uint32_t kTrendPeriods = 3;
constexpr uint32_t kHistoryPeriods = 13;
constexpr uint32_t kMaxHistoryPeriods = 260;
constexpr double kScopeYouthRevenueEuros = 2000000;
constexpr uint32_t kGraceDayDays = 1;
constexpr uint32_t kGraceWeekDays = 3;
constexpr uint32_t kGraceMonthDays = 10;
constexpr uint32_t kGraceQuarterDays = 45;
constexpr uint32_t kGraceYearDays = 152;
constexpr uint32_t kReporterExpiryDays = 400;
constexpr uint64_t kMaxExposedSeries = 250000;

absl::Status Invalid(absl::string_view key, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("early_warning.", key, ": ", what));
}

void DefaultBounds(google::protobuf::RepeatedField<double>* bounds,
                   std::initializer_list<double> defaults) {
  if (bounds->empty()) bounds->Add(defaults.begin(), defaults.end());
}

absl::Status CheckBounds(absl::string_view key,
                         const google::protobuf::RepeatedField<double>& bounds) {
  for (int i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      return Invalid(key, absl::StrCat("[", absl::StrJoin(bounds, ", "),
                                       "] must be finite numbers in strictly ascending order"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNonNegative(absl::string_view key, double value) {
  if (!std::isfinite(value) || value < 0) {
    return Invalid(key, absl::StrCat(value, " must be a number of at least 0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyEarlyWarningDefaults(config::v1::EarlyWarning* settings) {
  auto* norm = settings->mutable_waiting_norm();
  if (!norm->has_intake_weeks()) norm->set_intake_weeks(kIntakeNormWeeks);
  if (!norm->has_treatment_weeks()) norm->set_treatment_weeks(kTreatmentNormWeeks);
  if (!settings->has_occupancy_high_ratio())
    settings->set_occupancy_high_ratio(kOccupancyHighRatio);
  if (!settings->has_trend_periods()) settings->set_trend_periods(kTrendPeriods);
  if (!settings->has_history_periods()) settings->set_history_periods(kHistoryPeriods);
  if (!settings->has_scope_youth_revenue_euros()) {
    settings->set_scope_youth_revenue_euros(kScopeYouthRevenueEuros);
  }
  auto* grace = settings->mutable_grace();
  if (!grace->has_day_days()) grace->set_day_days(kGraceDayDays);
  if (!grace->has_week_days()) grace->set_week_days(kGraceWeekDays);
  if (!grace->has_month_days()) grace->set_month_days(kGraceMonthDays);
  if (!grace->has_quarter_days()) grace->set_quarter_days(kGraceQuarterDays);
  if (!grace->has_year_days()) grace->set_year_days(kGraceYearDays);
  if (!settings->has_reporter_expiry_days())
    settings->set_reporter_expiry_days(kReporterExpiryDays);
  if (!settings->has_max_exposed_series()) settings->set_max_exposed_series(kMaxExposedSeries);
  auto* bands = settings->mutable_cbs_bands();
  DefaultBounds(bands->mutable_solvency(), {0, 0.10, 0.20, 0.35});
  DefaultBounds(bands->mutable_current_ratio(), {0.3, 0.7, 1.3});
  DefaultBounds(bands->mutable_profitability(), {0, 0.02, 0.04});

  VROEG_RETURN_IF_ERROR(CheckNonNegative("waiting_norm.intake_weeks", norm->intake_weeks()));
  VROEG_RETURN_IF_ERROR(CheckNonNegative("waiting_norm.treatment_weeks", norm->treatment_weeks()));
  const double occupancy = settings->occupancy_high_ratio();
  if (!(occupancy >= 0 && occupancy <= 1)) {
    return Invalid("occupancy_high_ratio", absl::StrCat(occupancy, " must be between 0 and 1"));
  }
  if (settings->history_periods() < 2 || settings->history_periods() > kMaxHistoryPeriods) {
    return Invalid("history_periods", absl::StrCat(settings->history_periods(),
                                                   " must be between 2 and ", kMaxHistoryPeriods));
  }
  if (settings->trend_periods() < 1 || settings->trend_periods() >= settings->history_periods()) {
    return Invalid("trend_periods",
                   absl::StrCat(settings->trend_periods(),
                                " must be at least 1 and below early_warning.history_periods (",
                                settings->history_periods(), ")"));
  }
  VROEG_RETURN_IF_ERROR(
      CheckNonNegative("scope_youth_revenue_euros", settings->scope_youth_revenue_euros()));
  for (int i = 0; i < settings->designated_providers_size(); ++i) {
    if (absl::Status s = ValidateAgbCode(settings->designated_providers(i)); !s.ok()) {
      return Invalid(absl::StrCat("designated_providers[", i, "]"), s.message());
    }
  }
  for (int i = 0; i < settings->expected_reporters_size(); ++i) {
    const std::string key = absl::StrCat("expected_reporters[", i, "]");
    absl::StatusOr<ReporterId> reporter = ParseReporterUrn(settings->expected_reporters(i));
    if (!reporter.ok()) return Invalid(key, reporter.status().message());
    if (reporter->kind == type::v1::REPORTER_KIND_SUPERVISOR) {
      return Invalid(key, "a supervisor submits nothing, so it is never expected to report");
    }
    settings->set_expected_reporters(i, reporter->Urn());
  }
  if (settings->reporter_expiry_days() < 1) {
    return Invalid("reporter_expiry_days", "must be at least 1");
  }
  VROEG_RETURN_IF_ERROR(CheckBounds("cbs_bands.solvency", bands->solvency()));
  VROEG_RETURN_IF_ERROR(CheckBounds("cbs_bands.current_ratio", bands->current_ratio()));
  VROEG_RETURN_IF_ERROR(CheckBounds("cbs_bands.profitability", bands->profitability()));
  return absl::OkStatus();
}

}  // namespace vroeg::early_warning
