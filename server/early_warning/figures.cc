#include "server/early_warning/figures.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/identity.h"
#include "common/period.h"

namespace vroeg::early_warning {
namespace {

using catalogue::v1::Dataset;
using catalogue::v1::Indicator;

// The series of one reporter cell, by role.
struct CellSeries {
  std::array<const SeriesHistory*, kRoleCount> by_role{};
  const SeriesHistory* operator[](Role role) const { return by_role[static_cast<int>(role)]; }
};
using Cells = std::map<ReporterCell, CellSeries>;

Cells IndexCells(const Snapshot& snapshot, const IndicatorRoles& roles) {
  Cells cells;
  for (const SeriesEntry& entry : snapshot) {
    const std::optional<Role> role = roles.RoleOf(entry.key.indicator);
    if (!role.has_value()) continue;
    const ReporterCell cell{entry.key.reporter, entry.key.care_form, entry.key.municipality};
    cells[cell].by_role[static_cast<int>(*role)] = &entry.history;
  }
  return cells;
}

Role TimeRole(int stage) {
  return stage == kIntake ? Role::kWaitingTimeIntake : Role::kWaitingTimeTreatment;
}

double NormWeeks(const config::v1::EarlyWarning& settings, int stage) {
  return stage == kIntake ? settings.waiting_norm().intake_weeks()
                          : settings.waiting_norm().treatment_weeks();
}

void AddTo(std::optional<double>* total, double value) { *total = total->value_or(0) + value; }

// How many of the youths in `waiting` (one period's figure) wait beyond the norm: all of them
// when the mean waiting time in `time` for the same period exceeds it, else none.
double BeyondNorm(const PeriodValue& waiting, const SeriesHistory* time, double norm_weeks) {
  if (time == nullptr) return 0;
  const PeriodValue* mean = time->Find(waiting.start, waiting.end);
  return mean != nullptr && mean->value > norm_weeks ? waiting.value : 0;
}

// The latest value of `history` and the mean over up to `n` periods before it, each through
// `value`; nullopt when there is no previous period.
template <typename ValueOf>
std::optional<std::pair<double, double>> LatestAndPreviousMean(const SeriesHistory& history, int n,
                                                               ValueOf value) {
  const auto& periods = history.periods;
  if (periods.size() < 2) return std::nullopt;
  const size_t count = std::min<size_t>(n, periods.size() - 1);
  double sum = 0;
  for (size_t k = 1; k <= count; ++k) sum += value(periods[periods.size() - 1 - k]);
  return std::make_pair(value(periods.back()), sum / static_cast<double>(count));
}

void PlacesAvailable(const Cells& cells, Figures* out) {
  for (const auto& [cell, series] : cells) {
    const SeriesHistory* operational = series[Role::kPlacesOperational];
    const SeriesHistory* occupied = series[Role::kPlacesOccupied];
    if (operational == nullptr || occupied == nullptr) continue;
    const double available = std::max(0.0, operational->latest().value - occupied->latest().value);
    out->places_available[cell] = available;
    AddTo(&out->care_forms[cell.care_form].places_available, available);
  }
}

void Waiting(const Cells& cells, const Context& context, Figures* out) {
  std::map<std::string, double> waiting_by_care_form;
  for (const auto& [cell, series] : cells) {
    const SeriesHistory* waiting = series[Role::kWaiting];
    if (waiting == nullptr) continue;
    waiting_by_care_form[cell.care_form] += waiting->latest().value;
    CareFormFigures& figures = out->care_forms[cell.care_form];
    for (int stage = 0; stage < kStageCount; ++stage) {
      if (!context.roles->has(TimeRole(stage))) continue;
      AddTo(&figures.waiting_beyond_norm_youths[stage],
            BeyondNorm(waiting->latest(), series[TimeRole(stage)],
                       NormWeeks(*context.settings, stage)));
    }
  }
  for (const auto& [care_form, waiting] : waiting_by_care_form) {
    if (waiting <= 0) continue;
    CareFormFigures& figures = out->care_forms[care_form];
    for (int stage = 0; stage < kStageCount; ++stage) {
      if (figures.waiting_beyond_norm_youths[stage].has_value()) {
        figures.waiting_beyond_norm_ratio[stage] =
            *figures.waiting_beyond_norm_youths[stage] / waiting;
      }
    }
  }
}

void IntakeStops(const Cells& cells, Figures* out) {
  // care form -> reporter -> any intake stop
  std::map<std::string, std::map<std::string, bool>> stops;
  for (const auto& [cell, series] : cells) {
    const SeriesHistory* stop = series[Role::kIntakeStop];
    if (stop == nullptr) continue;
    bool& active = stops[cell.care_form][cell.reporter];
    active = active || stop->latest().value == 1;
  }
  for (const auto& [care_form, reporters] : stops) {
    const auto active = std::count_if(reporters.begin(), reporters.end(),
                                      [](const auto& reporter) { return reporter.second; });
    out->care_forms[care_form].intake_stop_ratio =
        static_cast<double>(active) / static_cast<double>(reporters.size());
  }
}

void CapacityConcentration(const Cells& cells, Figures* out) {
  // care form -> reporter -> operational places over its municipalities
  std::map<std::string, std::map<std::string, double>> places;
  for (const auto& [cell, series] : cells) {
    const SeriesHistory* operational = series[Role::kPlacesOperational];
    if (operational == nullptr) continue;
    places[cell.care_form][cell.reporter] += operational->latest().value;
  }
  for (const auto& [care_form, reporters] : places) {
    double total = 0;
    for (const auto& [reporter, value] : reporters) total += value;
    if (total <= 0) continue;
    double largest = 0;
    double hhi = 0;
    for (const auto& [reporter, value] : reporters) {
      const double share = value / total;
      out->capacity_share[{reporter, care_form}] = share;
      largest = std::max(largest, share);
      hhi += share * share;
    }
    out->care_forms[care_form].capacity_largest_share = largest;
    out->care_forms[care_form].capacity_hhi = hhi;
  }
}

void Trends(const Cells& cells, const Context& context, Figures* out) {
  const int n = static_cast<int>(context.settings->trend_periods());
  struct Sums {
    double latest = 0;
    double previous = 0;
    bool any = false;
    void Add(const std::pair<double, double>& values) {
      latest += values.first;
      previous += values.second;
      any = true;
    }
  };
  struct CareFormSums {
    Sums operational;
    Sums waiting;
    std::array<Sums, kStageCount> beyond;
  };
  std::map<std::string, CareFormSums> sums;
  auto plain = [](const PeriodValue& period) { return period.value; };
  for (const auto& [cell, series] : cells) {
    if (const SeriesHistory* operational = series[Role::kPlacesOperational]) {
      if (auto values = LatestAndPreviousMean(*operational, n, plain)) {
        sums[cell.care_form].operational.Add(*values);
      }
    }
    const SeriesHistory* waiting = series[Role::kWaiting];
    if (waiting == nullptr) continue;
    if (auto values = LatestAndPreviousMean(*waiting, n, plain)) {
      sums[cell.care_form].waiting.Add(*values);
    }
    for (int stage = 0; stage < kStageCount; ++stage) {
      if (!context.roles->has(TimeRole(stage))) continue;
      const SeriesHistory* time = series[TimeRole(stage)];
      const double norm = NormWeeks(*context.settings, stage);
      auto beyond = [time, norm](const PeriodValue& period) {
        return BeyondNorm(period, time, norm);
      };
      if (auto values = LatestAndPreviousMean(*waiting, n, beyond)) {
        sums[cell.care_form].beyond[stage].Add(*values);
      }
    }
  }
  auto change_ratio = [](const Sums& s) -> std::optional<double> {
    if (!s.any || s.previous <= 0) return std::nullopt;
    return s.latest / s.previous - 1;
  };
  for (const auto& [care_form, s] : sums) {
    CareFormFigures& figures = out->care_forms[care_form];
    figures.places_operational_change_ratio = change_ratio(s.operational);
    figures.waiting_youths_change_ratio = change_ratio(s.waiting);
    for (int stage = 0; stage < kStageCount; ++stage) {
      if (s.beyond[stage].any) {
        figures.waiting_beyond_norm_youths_change[stage] =
            s.beyond[stage].latest - s.beyond[stage].previous;
      }
    }
  }
}

void OccupancyHigh(const Cells& cells, const Context& context, Figures* out) {
  struct CareFormCapacity {
    std::vector<std::pair<const SeriesHistory*, const SeriesHistory*>> pairs;
    std::vector<PeriodValue> periods;  // every period either figure was reported for
  };
  std::map<std::string, CareFormCapacity> capacity;
  for (const auto& [cell, series] : cells) {
    const SeriesHistory* operational = series[Role::kPlacesOperational];
    const SeriesHistory* occupied = series[Role::kPlacesOccupied];
    if (operational == nullptr && occupied == nullptr) continue;
    CareFormCapacity& c = capacity[cell.care_form];
    for (const SeriesHistory* h : {operational, occupied}) {
      if (h != nullptr) c.periods.insert(c.periods.end(), h->periods.begin(), h->periods.end());
    }
    if (operational != nullptr && occupied != nullptr) c.pairs.emplace_back(operational, occupied);
  }
  const double threshold = context.settings->occupancy_high_ratio();
  for (auto& [care_form, c] : capacity) {
    std::sort(c.periods.begin(), c.periods.end(), Newer);
    c.periods.erase(std::unique(c.periods.begin(), c.periods.end(),
                                [](const PeriodValue& a, const PeriodValue& b) {
                                  return a.start == b.start && a.end == b.end;
                                }),
                    c.periods.end());
    int high = 0;
    for (const PeriodValue& period : c.periods) {
      double operational = 0;
      double occupied = 0;
      for (const auto& [op, occ] : c.pairs) {
        const PeriodValue* o = op->Find(period.start, period.end);
        const PeriodValue* b = occ->Find(period.start, period.end);
        if (o == nullptr || b == nullptr) continue;
        operational += o->value;
        occupied += b->value;
      }
      if (operational <= 0 || occupied / operational <= threshold) break;
      ++high;
    }
    out->care_forms[care_form].occupancy_high_periods = high;
  }
}

// The newest period of `a` that `b` has too: (a's period and value, b's value).
std::optional<std::pair<PeriodValue, double>> LatestCommon(const SeriesHistory* a,
                                                           const SeriesHistory* b) {
  if (a == nullptr || b == nullptr) return std::nullopt;
  for (auto it = a->periods.rbegin(); it != a->periods.rend(); ++it) {
    if (const PeriodValue* other = b->Find(it->start, it->end)) {
      return std::make_pair(*it, other->value);
    }
  }
  return std::nullopt;
}

// Calendar months from 1 January to the end of `period` (year-to-date figures).
int MonthsElapsed(const PeriodValue& period) { return ToCivilDay(period.end).month(); }

// Year-to-date × 12 / months elapsed.
double Annualised(const PeriodValue& year_to_date) {
  return year_to_date.value * 12 / MonthsElapsed(year_to_date);
}

// Revenue of the quarter ending with `period`, from year-to-date figures: in Q1 the figure
// itself; later, minus the previous quarter's figure of the same year, or, without that, the
// year-to-date figure spread evenly over the quarters so far.
double QuarterRevenue(const SeriesHistory& revenue, const PeriodValue& period) {
  const absl::CivilDay end = ToCivilDay(period.end);
  const int quarter = (end.month() - 1) / 3 + 1;
  if (quarter == 1) return period.value;
  for (const PeriodValue& previous : revenue.periods) {
    if (previous.end == period.start - 1) {
      return period.value - previous.value;
    }
  }
  return period.value / quarter;
}

// Consecutive periods back from the latest with a negative value; a gap between periods ends
// the run, as an unreported quarter proves nothing.
int NegativeRun(const SeriesHistory& history) {
  const auto& periods = history.periods;
  int run = 0;
  for (size_t i = periods.size(); i-- > 0;) {
    if (i + 1 < periods.size() && periods[i].end + 1 != periods[i + 1].start) break;
    if (periods[i].value >= 0) break;
    ++run;
  }
  return run;
}

bool IsMember(const config::v1::Region& region, const std::string& municipality, Day day) {
  const std::string date = FormatIsoDate(ToCivilDay(day));
  for (const auto& member : region.municipalities()) {
    // ISO dates compare correctly as strings.
    if (member.code() == municipality &&
        (member.valid_from().empty() || member.valid_from() <= date) &&
        (member.valid_to().empty() || date <= member.valid_to())) {
      return true;
    }
  }
  return false;
}

void RevenueShares(const std::vector<std::pair<std::string, const SeriesHistory*>>& by_municipality,
                   const config::v1::Region& region, ProviderFigures* figures) {
  if (by_municipality.empty()) return;
  const PeriodValue* newest = nullptr;
  for (const auto& [municipality, history] : by_municipality) {
    if (newest == nullptr || Newer(history->latest(), *newest)) newest = &history->latest();
  }
  double total = 0;
  double largest = 0;
  double in_region = 0;
  for (const auto& [municipality, history] : by_municipality) {
    const PeriodValue* value = history->Find(newest->start, newest->end);
    if (value == nullptr) continue;
    total += value->value;
    largest = std::max(largest, value->value);
    if (IsMember(region, municipality, newest->end)) in_region += value->value;
  }
  if (total <= 0) return;
  figures->revenue_share_largest_municipality = largest / total;
  if (region.municipalities_size() > 0) figures->revenue_share_region = in_region / total;
}

bool IsOrganisation(const std::string& urn) {
  absl::StatusOr<ReporterId> id = ParseReporterUrn(urn);
  return id.ok() && (id->kind == type::v1::REPORTER_KIND_PROVIDER ||
                     id->kind == type::v1::REPORTER_KIND_CERTIFIED_INSTITUTION);
}

std::string IdOf(const std::string& urn) {
  absl::StatusOr<ReporterId> id = ParseReporterUrn(urn);
  return id.ok() ? id->id : urn;
}

void Providers(const Cells& cells, const Context& context, Figures* out) {
  const config::v1::EarlyWarning& settings = *context.settings;
  struct Inputs {
    CellSeries organisation;
    std::vector<std::pair<std::string, const SeriesHistory*>> revenue_by_municipality;
    double filled = 0;
    double vacancies = 0;
    bool staff = false;
  };
  std::map<std::string, Inputs> inputs;
  // Cells come ordered by reporter: each reporter's kind is looked at once.
  const std::string* previous = nullptr;
  bool organisation = false;
  for (const auto& [cell, series] : cells) {
    if (previous == nullptr || *previous != cell.reporter) {
      previous = &cell.reporter;
      organisation = IsOrganisation(cell.reporter);
    }
    if (!organisation) continue;
    Inputs& in = inputs[cell.reporter];
    if (cell.care_form.empty() && cell.municipality.empty()) in.organisation = series;
    if (const SeriesHistory* revenue = series[Role::kRevenueYouthByMunicipality];
        revenue != nullptr && !cell.municipality.empty()) {
      in.revenue_by_municipality.emplace_back(cell.municipality, revenue);
    }
    for (const auto& [role, total] : {std::pair{Role::kStaffFilled, &in.filled},
                                      std::pair{Role::kStaffVacancies, &in.vacancies}}) {
      if (const SeriesHistory* h = series[role]) {
        *total += h->latest().value;
        in.staff = true;
      }
    }
  }

  const auto& bands = settings.cbs_bands();
  double region_filled = 0;
  double region_vacancies = 0;
  for (const auto& [reporter, in] : inputs) {
    ProviderFigures& figures = out->providers[reporter];
    const CellSeries& org = in.organisation;
    if (in.staff) {
      region_filled += in.filled;
      region_vacancies += in.vacancies;
      if (in.filled + in.vacancies > 0) {
        figures.staff_vacancy_ratio = in.vacancies / (in.filled + in.vacancies);
      }
    }
    if (auto v = LatestCommon(org[Role::kEquity], org[Role::kTotalAssets]); v && v->second != 0) {
      figures.solvency_ratio = v->first.value / v->second;
      figures.solvency_band = Classify(*figures.solvency_ratio, bands.solvency(), true);
    }
    if (auto v = LatestCommon(org[Role::kCurrentAssets], org[Role::kCurrentLiabilities]);
        v && v->second != 0) {
      figures.current_ratio = v->first.value / v->second;
      figures.current_ratio_band = Classify(*figures.current_ratio, bands.current_ratio(), false);
    }
    if (auto v = LatestCommon(org[Role::kRevenueTotal], org[Role::kOperatingResult])) {
      // A quarter's revenue at or below zero (a downward correction) has no meaningful margin.
      const double revenue = QuarterRevenue(*org[Role::kRevenueTotal], v->first);
      if (revenue > 0) {
        figures.result_margin_ratio = v->second / revenue;
        figures.profitability_band =
            Classify(*figures.result_margin_ratio, bands.profitability(), true);
      }
    }
    if (auto v = LatestCommon(org[Role::kRevenueTotal], org[Role::kEquity])) {
      const double annual = Annualised(v->first);
      if (annual > 0) figures.budget_ratio = v->second / annual;
    }
    if (const SeriesHistory* youth = org[Role::kRevenueYouth]) {
      figures.youth_revenue_annualised = Annualised(youth->latest());
    }
    const std::string id = IdOf(reporter);
    figures.early_warning_scope =
        std::find(settings.designated_providers().begin(), settings.designated_providers().end(),
                  id) != settings.designated_providers().end() ||
        figures.youth_revenue_annualised.value_or(-1) >= settings.scope_youth_revenue_euros();
    RevenueShares(in.revenue_by_municipality, *context.region, &figures);
    if (const SeriesHistory* result = org[Role::kOperatingResult]) {
      figures.negative_result_quarters = NegativeRun(*result);
    }
  }
  if (region_filled + region_vacancies > 0) {
    out->staff_vacancy_ratio = region_vacancies / (region_filled + region_vacancies);
  }
}

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  return absl::CivilDay(day.year(), day.month() + months, day.day());
}

}  // namespace

absl::Time DueAfter(Day newest_end, type::v1::Granularity cadence, const config::v1::Grace& grace) {
  const absl::CivilDay next_start = ToCivilDay(newest_end + 1);
  absl::CivilDay due = next_start;
  switch (cadence) {
    case type::v1::GRANULARITY_DAY:
      due = next_start + 1 + grace.day_days();
      break;
    case type::v1::GRANULARITY_WEEK:
      due = next_start + 7 + grace.week_days();
      break;
    case type::v1::GRANULARITY_MONTH:
      due = AddMonths(next_start, 1) + grace.month_days();
      break;
    case type::v1::GRANULARITY_QUARTER:
      due = AddMonths(next_start, 3) + grace.quarter_days();
      break;
    case type::v1::GRANULARITY_YEAR:
      due = AddMonths(next_start, 12) + grace.year_days();
      break;
    default:
      break;
  }
  return absl::FromCivil(due, absl::UTCTimeZone());
}

namespace {

void Compliance(const Snapshot& snapshot, const Context& context, Figures* out) {
  const Catalogue& catalogue = *context.catalogue;
  // (reporter, dataset) -> indicator -> end of its newest period
  std::map<std::pair<std::string, Dataset>, std::map<const Indicator*, Day>> newest;
  for (const SeriesEntry& entry : snapshot) {
    const Indicator* indicator = catalogue.FindIndicator(entry.key.indicator);
    if (indicator == nullptr) continue;
    auto [it, inserted] = newest[{entry.key.reporter, indicator->dataset()}].try_emplace(
        indicator, entry.history.latest().end);
    if (!inserted) it->second = std::max(it->second, entry.history.latest().end);
  }
  for (const auto& [key, indicators] : newest) {
    ComplianceFigures& figures = out->compliance[key];
    Day last = indicators.begin()->second;
    figures.due = absl::InfiniteFuture();
    for (const auto& [indicator, end] : indicators) {
      last = std::max(last, end);
      figures.due =
          std::min(figures.due, DueAfter(end, indicator->cadence(), context.settings->grace()));
    }
    figures.last_period_end = StartOfDay(last + 1);
  }
  for (const std::string& urn : context.settings->expected_reporters()) {
    absl::StatusOr<ReporterId> reporter = ParseReporterUrn(urn);
    if (!reporter.ok()) continue;  // checked with the configuration
    for (const Indicator& indicator : catalogue.proto().indicators()) {
      const auto& kinds = indicator.reporter_kinds();
      if (std::find(kinds.begin(), kinds.end(), reporter->kind) == kinds.end()) continue;
      auto [it, inserted] = out->compliance.try_emplace({urn, indicator.dataset()});
      if (inserted) it->second.due = context.started;
    }
  }
  for (const Indicator& indicator : catalogue.proto().indicators()) {
    out->datasets.try_emplace(indicator.dataset());
  }
  std::map<Dataset, int> on_time;
  for (auto& [key, figures] : out->compliance) {
    figures.overdue = context.now > figures.due;
    ++out->datasets[key.second].expected_reporters;
    if (!figures.overdue) ++on_time[key.second];
  }
  for (auto& [dataset, figures] : out->datasets) {
    if (figures.expected_reporters > 0) {
      figures.reporting_ratio =
          static_cast<double>(on_time[dataset]) / static_cast<double>(figures.expected_reporters);
    }
  }
}

std::string BoundLabel(double bound, bool percent) {
  return percent ? absl::StrFormat("%g%%", bound * 100) : absl::StrFormat("%g", bound);
}

}  // namespace

CbsBand Classify(double value, const google::protobuf::RepeatedField<double>& bounds,
                 bool percent) {
  const int band =
      static_cast<int>(std::upper_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  CbsBand result;
  result.ordinal = band + 1;
  if (bounds.empty()) {
    result.label = "all";
  } else if (band == 0) {
    result.label = absl::StrCat("<", BoundLabel(bounds[0], percent));
  } else if (band == bounds.size()) {
    result.label = absl::StrCat(">=", BoundLabel(bounds[band - 1], percent));
  } else {
    // "10-20%", not "10%-20%".
    result.label = absl::StrCat(absl::StrFormat("%g", bounds[band - 1] * (percent ? 100 : 1)), "-",
                                BoundLabel(bounds[band], percent));
  }
  return result;
}

Snapshot DropExpired(Snapshot snapshot, const config::v1::EarlyWarning& settings, absl::Time now,
                     Expiry* expiry) {
  std::map<std::string, int64_t> newest;
  for (const SeriesEntry& entry : snapshot) {
    int64_t& received = newest[entry.key.reporter];
    received = std::max(received, entry.history.newest_received);
  }
  const absl::Duration expiry_age = absl::Hours(24) * settings.reporter_expiry_days();
  const int64_t cutoff = absl::ToUnixSeconds(now - expiry_age);
  const auto& expected = settings.expected_reporters();
  for (const auto& [reporter, received] : newest) {
    if (std::find(expected.begin(), expected.end(), reporter) != expected.end()) continue;
    if (received < cutoff) {
      expiry->reporters.insert(reporter);
    } else {
      // received < cutoff holds from the second after `received` plus the expiry age on.
      expiry->next = std::min(expiry->next, absl::FromUnixSeconds(received + 1) + expiry_age);
    }
  }
  if (expiry->reporters.empty()) return snapshot;
  const auto kept = std::remove_if(snapshot.begin(), snapshot.end(), [&](const SeriesEntry& e) {
    return expiry->reporters.count(e.key.reporter) > 0;
  });
  expiry->series = static_cast<size_t>(snapshot.end() - kept);
  snapshot.erase(kept, snapshot.end());
  return snapshot;
}

Figures ComputeFigures(const Snapshot& snapshot, const Context& context) {
  Figures figures;
  const Cells cells = IndexCells(snapshot, *context.roles);
  PlacesAvailable(cells, &figures);
  Waiting(cells, context, &figures);
  IntakeStops(cells, &figures);
  CapacityConcentration(cells, &figures);
  Trends(cells, context, &figures);
  OccupancyHigh(cells, context, &figures);
  Providers(cells, context, &figures);
  Compliance(snapshot, context, &figures);
  return figures;
}

}  // namespace vroeg::early_warning
