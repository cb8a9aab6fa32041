#include "server/indicator_collectable.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/yaml_proto.h"
#include "prometheus/metric_family.h"
#include "server/early_warning/catalogue_figures.h"
#include "server/early_warning/figures.h"

namespace vroeg {
namespace {

using catalogue::v1::Indicator;
using early_warning::Label;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Splits urn:vroeg:<kind>:<id> without validating it again: the store only holds URNs that
// passed validation.
std::pair<absl::string_view, absl::string_view> KindAndId(absl::string_view urn) {
  constexpr size_t kPrefix = sizeof("urn:vroeg:") - 1;
  if (urn.size() <= kPrefix) return {"", urn};
  absl::string_view rest = urn.substr(kPrefix);
  const size_t colon = rest.find(':');
  if (colon == absl::string_view::npos) return {"", rest};
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

constexpr absl::string_view kStageNames[early_warning::kStageCount] = {"intake", "treatment"};

std::string DatasetLabel(catalogue::v1::Dataset dataset) {
  return absl::AsciiStrToLower(
      ShortEnumName(*catalogue::v1::Dataset_descriptor()->FindValueByNumber(dataset)));
}

double Seconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

// The one sample that changes with every scrape, not with the state.
constexpr char kNotExposedName[] = "vroeg_series_not_exposed_total";

void AddCounterSample(MetricFamily& family, uint64_t value) {
  family.metric.emplace_back().counter.value = static_cast<double>(value);
}

// Collects the families of one response: regional samples are always exposed, per-reporter
// samples in the order offered until the cap is reached.
class Exposition {
 public:
  Exposition(std::string region, uint64_t max_per_reporter)
      : region_(std::move(region)), budget_(max_per_reporter) {}

  // Every family is described, even without samples, so that dashboards and rules can tell "no
  // data yet" from "unknown metric". The first description of a name wins.
  void Describe(const std::string& name, const std::string& help,
                MetricType type = MetricType::Gauge) {
    auto [it, inserted] = families_.try_emplace(name);
    if (!inserted) return;
    it->second.name = name;
    it->second.help = help;
    it->second.type = type;
  }

  void Regional(const std::string& name, std::vector<Label> labels, double value) {
    std::vector<ClientMetric::Label> all = {{"region", region_}};
    for (auto& [k, v] : labels) all.push_back({std::move(k), std::move(v)});
    Add(name, std::move(all), value);
    ++exposed_;
  }
  void Regional(const std::string& name, std::vector<Label> labels,
                const std::optional<double>& value) {
    if (value.has_value()) Regional(name, std::move(labels), *value);
  }

  void PerReporter(const std::string& name, const std::string& urn, std::vector<Label> labels,
                   double value) {
    if (budget_ == 0) {
      ++not_exposed_;
      return;
    }
    --budget_;
    const auto [kind, id] = KindAndId(urn);
    std::vector<ClientMetric::Label> all = {
        {"region", region_}, {"reporter", std::string(id)}, {"reporter_kind", std::string(kind)}};
    for (auto& [k, v] : labels) all.push_back({std::move(k), std::move(v)});
    Add(name, std::move(all), value);
    ++exposed_;
  }
  void PerReporter(const std::string& name, const std::string& urn, std::vector<Label> labels,
                   const std::optional<double>& value) {
    if (value.has_value()) PerReporter(name, urn, std::move(labels), *value);
  }

  // A sample without the region label (the collector's own health).
  void Health(const std::string& name, double value) {
    ClientMetric metric;
    if (families_.at(name).type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    families_.at(name).metric.push_back(std::move(metric));
  }

  uint64_t exposed() const { return exposed_; }
  uint64_t not_exposed() const { return not_exposed_; }

  std::vector<MetricFamily> Finish() {
    std::vector<MetricFamily> result;
    result.reserve(families_.size());
    for (auto& [name, family] : families_) result.push_back(std::move(family));
    return result;
  }

 private:
  void Add(const std::string& name, std::vector<ClientMetric::Label> labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    metric.gauge.value = value;
    families_.at(name).metric.push_back(std::move(metric));
  }

  const std::string region_;
  uint64_t budget_;
  uint64_t exposed_ = 0;
  uint64_t not_exposed_ = 0;
  std::map<std::string, MetricFamily> families_;
};

void DescribeEarlyWarning(Exposition& out) {
  out.Describe("jeugdzorg_region_places_available",
               "Available places per care form: sum over reporter series of max(0, operational - "
               "occupied places), latest periods.");
  out.Describe("jeugdzorg_places_available",
               "Available places: max(0, operational - occupied places), latest periods.");
  out.Describe("jeugdzorg_region_waiting_beyond_norm_youths",
               "Youths waiting at reporters whose mean waiting time for the stage exceeds the norm "
               "in the same period, per care form.");
  out.Describe("jeugdzorg_region_waiting_beyond_norm_ratio",
               "Share of waiting youths waiting beyond the norm: beyond-norm youths / waiting "
               "youths, per care form.");
  out.Describe("jeugdzorg_region_intake_stop_ratio",
               "Reporters with an intake stop / reporters reporting intake stops, per care form.");
  out.Describe("jeugdzorg_provider_capacity_share_ratio",
               "Reporter's share of the region's operational places: its operational places / "
               "the region's, per care form.");
  out.Describe("jeugdzorg_region_capacity_largest_share_ratio",
               "Largest reporter share of the region's operational places, per care form.");
  out.Describe("jeugdzorg_region_capacity_hhi",
               "Concentration of operational places: sum of squared reporter shares "
               "(Herfindahl-Hirschman index, 0..1), per care form.");
  out.Describe("jeugdzorg_region_staff_vacancy_ratio",
               "Vacancies / (filled + vacancies) in FTE over the region's reporters.");
  out.Describe("jeugdzorg_provider_staff_vacancy_ratio",
               "Vacancies / (filled + vacancies) in FTE, latest periods.");
  out.Describe("jeugdzorg_provider_solvency_ratio",
               "Solvency: equity / total assets, latest period with both.");
  out.Describe("jeugdzorg_provider_current_ratio",
               "Current ratio: current assets / current liabilities, latest period with both.");
  out.Describe("jeugdzorg_provider_result_margin_ratio",
               "Result margin: operating result / revenue of the quarter (year-to-date revenue "
               "minus that of the previous quarter), latest quarter with both.");
  out.Describe("jeugdzorg_provider_budget_ratio",
               "Budget ratio: equity / annualised total revenue (year to date x 12 / months).");
  out.Describe("jeugdzorg_provider_cbs_band",
               "CBS class of a provider ratio (solvency, current_ratio, profitability = result "
               "margin): band ordinal, 1 = lowest; the band label gives the range.");
  out.Describe("jeugdzorg_provider_youth_revenue_annualised_euros",
               "Youth-care revenue year to date x 12 / months elapsed.");
  out.Describe("jeugdzorg_provider_early_warning_scope",
               "1 when annualised youth-care revenue reaches the early-warning threshold or the "
               "region designated the provider, else 0.");
  out.Describe("jeugdzorg_provider_revenue_share_largest_municipality_ratio",
               "Youth-care revenue from the largest paying municipality / revenue from all "
               "municipalities, latest period.");
  out.Describe("jeugdzorg_provider_revenue_share_region_ratio",
               "Youth-care revenue from this region's member municipalities / revenue from all "
               "municipalities, latest period.");
  out.Describe("jeugdzorg_provider_negative_result_quarters",
               "Consecutive quarters back from the latest with an operating result below zero.");
  out.Describe("jeugdzorg_region_places_operational_change_ratio",
               "Change of operational places: sum of latest / sum of mean of previous periods - "
               "1, per care form.");
  out.Describe("jeugdzorg_region_waiting_youths_change_ratio",
               "Change of waiting youths: sum of latest / sum of mean of previous periods - 1, "
               "per care form.");
  out.Describe("jeugdzorg_region_waiting_beyond_norm_youths_change",
               "Change of youths waiting beyond the norm: sum of latest - sum of mean of previous "
               "periods, per care form.");
  out.Describe("jeugdzorg_region_occupancy_high_periods",
               "Consecutive newest periods in which occupied / operational places exceeded the "
               "high-occupancy ratio, per care form.");
  out.Describe("jeugdzorg_reporter_last_period_end_timestamp_seconds",
               "End (00:00 UTC of the next day) of the newest period received, per dataset.");
  out.Describe("jeugdzorg_reporter_due_timestamp_seconds",
               "When the next figures are due: earliest over the dataset's indicators of the "
               "newest period's end + one cadence + grace.");
  out.Describe("jeugdzorg_reporter_overdue", "1 when the reporter is past its due time, else 0.");
  out.Describe("jeugdzorg_region_expected_reporters",
               "Reporters expected to report the dataset (with data, or configured).");
  out.Describe("jeugdzorg_region_reporting_ratio",
               "Expected reporters not overdue / expected reporters, per dataset.");
  out.Describe("vroeg_series",
               "Series (reporter, indicator, care form, municipality) with a current value.");
  out.Describe("vroeg_reporters_expired",
               "Reporters left off /metrics because they sent nothing for longer than the "
               "expiry.");
  out.Describe("vroeg_series_expired", "Series of expired reporters, left off /metrics.");
  out.Describe("vroeg_series_exposed",
               "Regional and per-reporter jeugdzorg samples in the latest /metrics response.");
  out.Describe(kNotExposedName,
               "Per-reporter samples left off /metrics by the cap (max_exposed_series), summed "
               "over scrapes.",
               MetricType::Counter);
}

void ExposeRegional(const early_warning::Figures& figures, Exposition& out) {
  for (const auto& [care_form, f] : figures.care_forms) {
    std::vector<Label> cf;
    if (!care_form.empty()) cf.emplace_back("care_form", care_form);
    out.Regional("jeugdzorg_region_places_available", cf, f.places_available);
    out.Regional("jeugdzorg_region_intake_stop_ratio", cf, f.intake_stop_ratio);
    out.Regional("jeugdzorg_region_capacity_largest_share_ratio", cf, f.capacity_largest_share);
    out.Regional("jeugdzorg_region_capacity_hhi", cf, f.capacity_hhi);
    out.Regional("jeugdzorg_region_places_operational_change_ratio", cf,
                 f.places_operational_change_ratio);
    out.Regional("jeugdzorg_region_waiting_youths_change_ratio", cf, f.waiting_youths_change_ratio);
    if (f.occupancy_high_periods.has_value()) {
      out.Regional("jeugdzorg_region_occupancy_high_periods", cf, *f.occupancy_high_periods);
    }
    for (int stage = 0; stage < early_warning::kStageCount; ++stage) {
      std::vector<Label> labels = cf;
      labels.emplace_back("stage", std::string(kStageNames[stage]));
      out.Regional("jeugdzorg_region_waiting_beyond_norm_youths", labels,
                   f.waiting_beyond_norm_youths[stage]);
      out.Regional("jeugdzorg_region_waiting_beyond_norm_ratio", labels,
                   f.waiting_beyond_norm_ratio[stage]);
      out.Regional("jeugdzorg_region_waiting_beyond_norm_youths_change", labels,
                   f.waiting_beyond_norm_youths_change[stage]);
    }
  }
  out.Regional("jeugdzorg_region_staff_vacancy_ratio", {}, figures.staff_vacancy_ratio);
  for (const auto& [dataset, f] : figures.datasets) {
    const std::vector<Label> labels = {{"dataset", DatasetLabel(dataset)}};
    out.Regional("jeugdzorg_region_expected_reporters", labels, f.expected_reporters);
    out.Regional("jeugdzorg_region_reporting_ratio", labels, f.reporting_ratio);
  }
}

void ExposePerReporter(const early_warning::Figures& figures, Exposition& out) {
  for (const auto& [key, f] : figures.compliance) {
    const auto& [urn, dataset] = key;
    const std::vector<Label> labels = {{"dataset", DatasetLabel(dataset)}};
    out.PerReporter("jeugdzorg_reporter_overdue", urn, labels, f.overdue ? 1.0 : 0.0);
    out.PerReporter("jeugdzorg_reporter_due_timestamp_seconds", urn, labels, Seconds(f.due));
    if (f.last_period_end.has_value()) {
      out.PerReporter("jeugdzorg_reporter_last_period_end_timestamp_seconds", urn, labels,
                      Seconds(*f.last_period_end));
    }
  }
  for (const auto& [urn, f] : figures.providers) {
    out.PerReporter("jeugdzorg_provider_early_warning_scope", urn, {},
                    f.early_warning_scope ? 1.0 : 0.0);
    out.PerReporter("jeugdzorg_provider_staff_vacancy_ratio", urn, {}, f.staff_vacancy_ratio);
    out.PerReporter("jeugdzorg_provider_solvency_ratio", urn, {}, f.solvency_ratio);
    out.PerReporter("jeugdzorg_provider_current_ratio", urn, {}, f.current_ratio);
    out.PerReporter("jeugdzorg_provider_result_margin_ratio", urn, {}, f.result_margin_ratio);
    out.PerReporter("jeugdzorg_provider_budget_ratio", urn, {}, f.budget_ratio);
    for (const auto& [ratio, band] : {std::pair{"solvency", &f.solvency_band},
                                      std::pair{"current_ratio", &f.current_ratio_band},
                                      std::pair{"profitability", &f.profitability_band}}) {
      if (!band->has_value()) continue;
      out.PerReporter("jeugdzorg_provider_cbs_band", urn,
                      {{"ratio", ratio}, {"band", (*band)->label}}, (*band)->ordinal);
    }
    out.PerReporter("jeugdzorg_provider_youth_revenue_annualised_euros", urn, {},
                    f.youth_revenue_annualised);
    out.PerReporter("jeugdzorg_provider_revenue_share_largest_municipality_ratio", urn, {},
                    f.revenue_share_largest_municipality);
    out.PerReporter("jeugdzorg_provider_revenue_share_region_ratio", urn, {},
                    f.revenue_share_region);
    if (f.negative_result_quarters.has_value()) {
      out.PerReporter("jeugdzorg_provider_negative_result_quarters", urn, {},
                      *f.negative_result_quarters);
    }
  }
  for (const auto& [key, share] : figures.capacity_share) {
    const auto& [urn, care_form] = key;
    std::vector<Label> labels;
    if (!care_form.empty()) labels.emplace_back("care_form", care_form);
    out.PerReporter("jeugdzorg_provider_capacity_share_ratio", urn, std::move(labels), share);
  }
  for (const auto& [cell, available] : figures.places_available) {
    std::vector<Label> labels;
    if (!cell.care_form.empty()) labels.emplace_back("care_form", cell.care_form);
    if (!cell.municipality.empty()) labels.emplace_back("municipality", cell.municipality);
    out.PerReporter("jeugdzorg_places_available", cell.reporter, std::move(labels), available);
  }
}

}  // namespace

IndicatorCollectable::IndicatorCollectable(std::shared_ptr<const Catalogue> catalogue,
                                           early_warning::IndicatorRoles roles,
                                           const LatestState* state, config::v1::Region region,
                                           config::v1::EarlyWarning settings, const Clock* clock,
                                           absl::Time started)
    : catalogue_(std::move(catalogue)),
      roles_(std::move(roles)),
      state_(state),
      region_(std::move(region)),
      settings_(std::move(settings)),
      clock_(clock),
      started_(started) {}

IndicatorCollectable::Rendering IndicatorCollectable::Render(absl::Time now) const {
  const Catalogue& catalogue = *catalogue_;
  early_warning::Snapshot snapshot = state_->Snapshot();
  const size_t series_held = snapshot.size();
  Rendering rendering;
  rendering.validity.from = now;
  early_warning::Expiry expiry;
  snapshot = early_warning::DropExpired(std::move(snapshot), settings_, now, &expiry);
  rendering.validity.expiry_changes = expiry.next;

  const early_warning::Context context{&catalogue, &roles_, &settings_, &region_, now, started_};
  const early_warning::Figures figures = early_warning::ComputeFigures(snapshot, context);
  for (const auto& [key, compliance] : figures.compliance) {
    if (!compliance.overdue) {
      rendering.validity.through = std::min(rendering.validity.through, compliance.due);
    }
  }
  std::map<std::string, early_warning::Family> aggregates =
      early_warning::CatalogueAggregates(snapshot, catalogue);

  Exposition out(region_.code(), settings_.max_exposed_series());
  for (const Indicator& indicator : catalogue.proto().indicators()) {
    out.Describe(indicator.metric().name(), indicator.metric().help());
  }
  for (const auto& [name, family] : aggregates) out.Describe(name, family.help);
  DescribeEarlyWarning(out);

  // Regional figures first: the cap never applies to them.
  for (auto& [name, family] : aggregates) {
    for (auto& sample : family.samples) out.Regional(name, std::move(sample.labels), sample.value);
  }
  ExposeRegional(figures, out);

  ExposePerReporter(figures, out);
  for (const early_warning::SeriesEntry& entry : snapshot) {
    const Indicator* indicator = catalogue.FindIndicator(entry.key.indicator);
    if (indicator == nullptr) continue;  // dropped from a newer catalogue; kept in storage
    std::vector<Label> labels;
    if (!entry.key.care_form.empty()) labels.emplace_back("care_form", entry.key.care_form);
    if (!entry.key.municipality.empty()) {
      labels.emplace_back("municipality", entry.key.municipality);
    }
    for (const auto& [name, value] : indicator->metric().labels()) labels.emplace_back(name, value);
    out.PerReporter(indicator->metric().name(), entry.key.reporter, std::move(labels),
                    entry.history.latest().value * Catalogue::MetricScale(indicator->unit()));
  }

  rendering.not_exposed = out.not_exposed();
  out.Health("vroeg_series", static_cast<double>(series_held));
  out.Health("vroeg_reporters_expired", static_cast<double>(expiry.reporters.size()));
  out.Health("vroeg_series_expired", static_cast<double>(expiry.series));
  out.Health("vroeg_series_exposed", static_cast<double>(out.exposed()));
  rendering.families = out.Finish();
  return rendering;
}

uint64_t IndicatorCollectable::CountNotExposed(uint64_t not_exposed) const {
  return not_exposed_.fetch_add(not_exposed) + not_exposed;
}

std::vector<MetricFamily> IndicatorCollectable::Collect() const {
  Rendering rendering = Render(clock_->Now());
  const uint64_t not_exposed = CountNotExposed(rendering.not_exposed);
  for (MetricFamily& family : rendering.families) {
    if (family.name == kNotExposedName) AddCounterSample(family, not_exposed);
  }
  return std::move(rendering.families);
}

void IndicatorCollectable::AppendExposition(std::vector<ExpositionChunk>* chunks) const {
  const absl::Time now = clock_->Now();
  // Read before the snapshot that Render takes, so a cached text is never older than its key.
  const uint64_t version = state_->version();
  std::shared_ptr<const CachedText> cached;
  {
    absl::MutexLock lock(&cache_mu_);
    cached = cache_;
  }
  if (cached == nullptr || !cached->ValidAt(version, now)) {
    // Rendered outside the lock: scrapes that find the cache stale at the same time each render,
    // rather than wait for one another.
    Rendering rendering = Render(now);
    auto text = std::make_shared<CachedText>();
    text->version = version;
    text->validity = rendering.validity;
    text->not_exposed = rendering.not_exposed;
    std::string before;
    std::string after;
    // The previous text's size is the best guess, and saves the copies of growing 15 MB at 100k
    // series.
    if (cached != nullptr) before.reserve(cached->before_counter->size() * 9 / 8);
    for (MetricFamily& family : rendering.families) {
      if (family.name == kNotExposedName) {
        text->counter = std::move(family);
        continue;
      }
      AppendTextExposition(family, text->counter.name.empty() ? &before : &after);
    }
    text->before_counter = std::make_shared<const std::string>(std::move(before));
    text->after_counter = std::make_shared<const std::string>(std::move(after));
    cached = std::move(text);
    absl::MutexLock lock(&cache_mu_);
    cache_ = cached;
  }
  MetricFamily counter = cached->counter;
  AddCounterSample(counter, CountNotExposed(cached->not_exposed));
  auto counter_text = std::make_shared<std::string>();
  AppendTextExposition(counter, counter_text.get());
  chunks->push_back(cached->before_counter);
  chunks->push_back(std::move(counter_text));
  chunks->push_back(cached->after_counter);
}

}  // namespace vroeg
