#include "server/early_warning/catalogue_figures.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/identity.h"

namespace vroeg::early_warning {
namespace {

using catalogue::v1::Indicator;

// Running figure of one indicator over the series of one cell (care form, or care form and
// municipality).
struct Accumulator {
  double sum = 0;
  double weighted_sum = 0;
  double weight = 0;
  double max = 0;
  int true_count = 0;
  bool any = false;
};

const SeriesHistory* FindSeries(const Snapshot& snapshot, const SeriesKey& key) {
  auto it = std::lower_bound(snapshot.begin(), snapshot.end(), key,
                             [](const SeriesEntry& e, const SeriesKey& k) { return e.key < k; });
  if (it == snapshot.end() || it->key != key) return nullptr;
  return &it->history;
}

void Add(const Snapshot& snapshot, const SeriesEntry& entry, const Indicator& indicator,
         Accumulator* cell) {
  const double value = entry.history.latest().value;
  cell->max = cell->any ? std::max(cell->max, value) : value;
  cell->any = true;
  cell->sum += value;
  if (value == 1) ++cell->true_count;
  if (indicator.aggregation() == catalogue::v1::AGGREGATION_WEIGHTED_MEAN) {
    SeriesKey weight_key = entry.key;
    weight_key.indicator = indicator.weight_indicator();
    const SeriesHistory* weight = FindSeries(snapshot, weight_key);
    if (weight != nullptr && weight->latest().value > 0) {
      cell->weighted_sum += value * weight->latest().value;
      cell->weight += weight->latest().value;
    }
  }
}

// The aggregate in the metric's base unit; nullopt when there is none (a weighted mean without
// any positive weight).
std::optional<double> Result(const Accumulator& cell, const Indicator& indicator) {
  const double scale = Catalogue::MetricScale(indicator.unit());
  switch (indicator.aggregation()) {
    case catalogue::v1::AGGREGATION_SUM:
      return cell.sum * scale;
    case catalogue::v1::AGGREGATION_MAX:
      return cell.max * scale;
    case catalogue::v1::AGGREGATION_COUNT_TRUE:
      return cell.true_count;
    case catalogue::v1::AGGREGATION_WEIGHTED_MEAN:
      if (cell.weight <= 0) return std::nullopt;
      return cell.weighted_sum / cell.weight * scale;
    default:
      return std::nullopt;
  }
}

std::string AggregationPhrase(const Indicator& indicator) {
  switch (indicator.aggregation()) {
    case catalogue::v1::AGGREGATION_SUM:
      return "Sum over reporters";
    case catalogue::v1::AGGREGATION_WEIGHTED_MEAN:
      return absl::StrCat("Mean over reporters weighted by ", indicator.weight_indicator());
    case catalogue::v1::AGGREGATION_MAX:
      return "Largest value of any reporter";
    case catalogue::v1::AGGREGATION_COUNT_TRUE:
      return "Reporters with value 1";
    default:
      return "Aggregate";
  }
}

// The reporter's own CBS code when it is a municipality, else empty.
std::string OwnMunicipality(const std::string& urn) {
  absl::StatusOr<ReporterId> id = ParseReporterUrn(urn);
  if (!id.ok() || id->kind != type::v1::REPORTER_KIND_MUNICIPALITY) return "";
  return id->id;
}

std::vector<Label> CellLabels(const Indicator& indicator, const std::string& care_form,
                              const std::string& municipality) {
  std::vector<Label> labels;
  if (!care_form.empty()) labels.emplace_back("care_form", care_form);
  if (!municipality.empty()) labels.emplace_back("municipality", municipality);
  for (const auto& [name, value] : indicator.metric().labels()) labels.emplace_back(name, value);
  return labels;
}

}  // namespace

std::map<std::string, Family> CatalogueAggregates(const Snapshot& snapshot,
                                                  const Catalogue& catalogue) {
  std::map<std::string, Family> families;
  auto declare = [&families](const std::string& name, std::string help) -> Family& {
    auto [it, inserted] = families.try_emplace(name);
    if (inserted) {
      it->second.name = name;
      it->second.help = std::move(help);
    }
    return it->second;
  };
  for (const Indicator& indicator : catalogue.proto().indicators()) {
    const auto& metric = indicator.metric();
    const bool per_care_form = indicator.care_form_use() != catalogue::v1::CARE_FORM_USE_FORBIDDEN;
    if (!metric.region_name().empty()) {
      declare(metric.region_name(),
              absl::StrCat(AggregationPhrase(indicator), per_care_form ? ", per care form" : "",
                           ": ", metric.help()));
    }
    if (!metric.region_max_name().empty()) {
      declare(metric.region_max_name(),
              absl::StrCat("Largest value of any reporter", per_care_form ? ", per care form" : "",
                           ": ", metric.help()));
    }
    if (!metric.municipality_name().empty()) {
      declare(
          metric.municipality_name(),
          absl::StrCat(AggregationPhrase(indicator),
                       per_care_form ? ", per care form and municipality" : ", per municipality",
                       ": ", metric.help()));
    }
  }
  for (const auto& ratio : catalogue.proto().ratios()) declare(ratio.metric_name(), ratio.help());

  // (indicator code, care form, municipality); municipality empty for the regional cells.
  using CellKey = std::tuple<std::string, std::string, std::string>;
  std::map<CellKey, Accumulator> region_cells;
  std::map<CellKey, Accumulator> municipality_cells;
  // The snapshot is ordered by reporter, so each reporter's URN is parsed once.
  const std::string* reporter = nullptr;
  std::string own_municipality;
  for (const SeriesEntry& entry : snapshot) {
    const Indicator* indicator = catalogue.FindIndicator(entry.key.indicator);
    if (indicator == nullptr) continue;  // dropped from a newer catalogue; kept in storage
    const auto& metric = indicator->metric();
    if (!metric.region_name().empty() || !metric.region_max_name().empty()) {
      Add(snapshot, entry, *indicator,
          &region_cells[{indicator->code(), entry.key.care_form, std::string()}]);
    }
    if (metric.municipality_name().empty()) continue;
    if (reporter == nullptr || *reporter != entry.key.reporter) {
      reporter = &entry.key.reporter;
      own_municipality = OwnMunicipality(entry.key.reporter);
    }
    // A municipality that names no municipality reports its own figures.
    const std::string& municipality =
        entry.key.municipality.empty() ? own_municipality : entry.key.municipality;
    if (!municipality.empty()) {
      Add(snapshot, entry, *indicator,
          &municipality_cells[{indicator->code(), entry.key.care_form, municipality}]);
    }
  }

  for (const auto& [key, cell] : region_cells) {
    const auto& [code, care_form, unused] = key;
    const Indicator& indicator = *catalogue.FindIndicator(code);
    const auto& metric = indicator.metric();
    if (!metric.region_name().empty()) {
      if (std::optional<double> value = Result(cell, indicator)) {
        families[metric.region_name()].samples.push_back(
            {CellLabels(indicator, care_form, ""), *value});
      }
    }
    if (!metric.region_max_name().empty()) {
      families[metric.region_max_name()].samples.push_back(
          {CellLabels(indicator, care_form, ""),
           cell.max * Catalogue::MetricScale(indicator.unit())});
    }
  }
  for (const auto& [key, cell] : municipality_cells) {
    const auto& [code, care_form, municipality] = key;
    const Indicator& indicator = *catalogue.FindIndicator(code);
    if (std::optional<double> value = Result(cell, indicator)) {
      families[indicator.metric().municipality_name()].samples.push_back(
          {CellLabels(indicator, care_form, municipality), *value});
    }
  }

  for (const auto& ratio : catalogue.proto().ratios()) {
    Family& family = families[ratio.metric_name()];
    for (const auto& [key, numerator] : region_cells) {
      const auto& [code, care_form, unused] = key;
      if (code != ratio.numerator()) continue;
      auto denominator = region_cells.find({ratio.denominator(), care_form, std::string()});
      if (denominator == region_cells.end() || denominator->second.sum <= 0) continue;
      std::vector<Label> labels;
      if (!care_form.empty()) labels.emplace_back("care_form", care_form);
      family.samples.push_back({std::move(labels), numerator.sum / denominator->second.sum});
    }
  }
  return families;
}

}  // namespace vroeg::early_warning
