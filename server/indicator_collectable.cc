#include "server/indicator_collectable.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/yaml_proto.h"
#include "prometheus/metric_family.h"

namespace vroeg {
namespace {

using catalogue::v1::Indicator;
using prometheus::ClientMetric;
using prometheus::MetricFamily;

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

ClientMetric Gauge(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

// Running regional figure for one (aggregate metric, care form, constant labels) cell.
struct Accumulator {
  double sum = 0;
  double weighted_sum = 0;
  double weight = 0;
  double max = 0;
  bool any = false;
};

}  // namespace

IndicatorCollectable::IndicatorCollectable(std::shared_ptr<const Catalogue> catalogue,
                                           const LatestState* state, std::string region)
    : catalogue_(std::move(catalogue)), state_(state), region_(std::move(region)) {}

std::vector<MetricFamily> IndicatorCollectable::Collect() const {
  const Catalogue& catalogue = *catalogue_;
  // Families keyed by metric name so that indicators sharing a metric share a family.
  std::map<std::string, MetricFamily> families;
  auto family = [&](const std::string& name, const std::string& help) -> MetricFamily& {
    auto [it, inserted] = families.try_emplace(name);
    if (inserted) {
      it->second.name = name;
      it->second.help = help;
      it->second.type = prometheus::MetricType::Gauge;
    }
    return it->second;
  };
  // Every catalogue family is exposed, even before data arrives, so dashboards and rules can
  // tell "no data yet" from "unknown metric".
  for (const Indicator& indicator : catalogue.proto().indicators()) {
    family(indicator.metric().name(), indicator.metric().help());
  }

  using CellKey = std::tuple<const Indicator*, std::string>;  // indicator, care form
  std::map<CellKey, Accumulator> cells;
  // Weights per (reporter, weight indicator, care form, municipality) for weighted means.
  std::map<SeriesKey, double> values;
  size_t series_count = 0;

  state_->ForEach([&](const SeriesKey& key, const LatestValue& latest) {
    ++series_count;
    const Indicator* indicator = catalogue.FindIndicator(key.indicator);
    if (indicator == nullptr) return;  // dropped from a newer catalogue; kept in storage
    values[key] = latest.value;
    const auto [kind, id] = KindAndId(key.reporter);
    std::vector<ClientMetric::Label> labels = {
        {"region", region_}, {"reporter", std::string(id)}, {"reporter_kind", std::string(kind)}};
    if (!key.care_form.empty()) labels.push_back({"care_form", key.care_form});
    if (!key.municipality.empty()) labels.push_back({"municipality", key.municipality});
    for (const auto& [name, value] : indicator->metric().labels()) labels.push_back({name, value});
    family(indicator->metric().name(), indicator->metric().help())
        .metric.push_back(
            Gauge(std::move(labels), latest.value * Catalogue::MetricScale(indicator->unit())));
  });

  // Regional aggregates need weights, which may be any series: a second pass over the copy.
  for (const auto& [key, value] : values) {
    const Indicator* indicator = catalogue.FindIndicator(key.indicator);
    if (indicator->metric().region_name().empty()) continue;
    Accumulator& cell = cells[{indicator, key.care_form}];
    cell.any = true;
    cell.sum += value;
    cell.max = std::max(cell.max, value);
    if (indicator->aggregation() == catalogue::v1::AGGREGATION_COUNT_TRUE && value == 1)
      cell.weight += 1;
    if (indicator->aggregation() == catalogue::v1::AGGREGATION_WEIGHTED_MEAN) {
      SeriesKey weight_key = key;
      weight_key.indicator = indicator->weight_indicator();
      auto it = values.find(weight_key);
      if (it != values.end() && it->second > 0) {
        cell.weighted_sum += value * it->second;
        cell.weight += it->second;
      }
    }
  }
  for (const auto& [cell_key, cell] : cells) {
    const auto& [indicator, care_form] = cell_key;
    double value = 0;
    switch (indicator->aggregation()) {
      case catalogue::v1::AGGREGATION_SUM:
        value = cell.sum;
        break;
      case catalogue::v1::AGGREGATION_MAX:
        value = cell.max;
        break;
      case catalogue::v1::AGGREGATION_COUNT_TRUE:
        value = cell.weight;
        break;
      case catalogue::v1::AGGREGATION_WEIGHTED_MEAN:
        // Without any positive weight there is no meaningful mean; leave the cell out.
        if (cell.weight <= 0) continue;
        value = cell.weighted_sum / cell.weight;
        break;
      default:
        continue;
    }
    std::vector<ClientMetric::Label> labels = {{"region", region_}};
    if (!care_form.empty()) labels.push_back({"care_form", care_form});
    for (const auto& [name, v] : indicator->metric().labels()) labels.push_back({name, v});
    const double scale = indicator->aggregation() == catalogue::v1::AGGREGATION_COUNT_TRUE
                             ? 1.0
                             : Catalogue::MetricScale(indicator->unit());
    family(indicator->metric().region_name(),
           absl::StrCat("Regional aggregate of ", indicator->code(), ": ",
                        ShortEnumName(*catalogue::v1::Aggregation_descriptor()->FindValueByNumber(
                            indicator->aggregation())),
                        "."))
        .metric.push_back(Gauge(std::move(labels), value * scale));
  }

  for (const auto& ratio : catalogue.proto().ratios()) {
    MetricFamily& ratio_family = family(ratio.metric_name(), ratio.help());
    const Indicator* numerator = catalogue.FindIndicator(ratio.numerator());
    const Indicator* denominator = catalogue.FindIndicator(ratio.denominator());
    for (const auto& [cell_key, cell] : cells) {
      if (std::get<0>(cell_key) != numerator) continue;
      auto it = cells.find({denominator, std::get<1>(cell_key)});
      if (it == cells.end() || it->second.sum <= 0) continue;
      std::vector<ClientMetric::Label> labels = {{"region", region_}};
      if (!std::get<1>(cell_key).empty()) labels.push_back({"care_form", std::get<1>(cell_key)});
      ratio_family.metric.push_back(Gauge(std::move(labels), cell.sum / it->second.sum));
    }
  }

  MetricFamily& series = family("vroeg_series",
                                "Series (reporter, indicator, care form, "
                                "municipality) with a current value.");
  series.metric.push_back(Gauge({}, static_cast<double>(series_count)));

  std::vector<MetricFamily> result;
  result.reserve(families.size());
  for (auto& [name, f] : families) result.push_back(std::move(f));
  return result;
}

}  // namespace vroeg
