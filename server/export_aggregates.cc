#include "server/export_aggregates.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

namespace vroeg {
namespace {

using api::v1::AggregateScope;
using catalogue::v1::Aggregation;

// Map order is the order figures are sent in.
using FigureKey = std::tuple<std::string /*indicator*/, std::string /*care_form*/, AggregateScope,
                             std::string /*region*/, std::string /*municipality*/>;

struct Accumulator {
  std::set<std::string> reporters;
  std::set<std::string> reporters_true;
  // SUM: Σ value; WEIGHTED_MEAN: Σ weight × value.
  double sum = 0;
  double weight = 0;
  double max = -std::numeric_limits<double>::infinity();
  // NATIONAL: what the REGION figures it combines counted.
  uint32_t combined_reporters = 0;
  uint32_t combined_true = 0;

  uint32_t Reporters() const {
    return static_cast<uint32_t>(reporters.size()) + combined_reporters;
  }
};

}  // namespace

AggregateBuilder::AggregateBuilder(const Catalogue* catalogue, AggregateOptions options)
    : catalogue_(catalogue), options_(std::move(options)) {}

bool AggregateBuilder::Add(const std::string& region, const StoredObservation& row,
                           const Emit& emit) {
  if (!values_.empty() && (row.period_start != period_start_ || row.period_end != period_end_)) {
    if (!Flush(emit)) return false;
  }
  period_start_ = row.period_start;
  period_end_ = row.period_end;
  granularity_ = row.granularity;
  values_.push_back({region, row.series.reporter, row.series.indicator, row.series.care_form,
                     row.series.municipality, row.value});
  return true;
}

bool AggregateBuilder::Finish(const Emit& emit) { return values_.empty() || Flush(emit); }

bool AggregateBuilder::Flush(const Emit& emit) {
  // (indicator, reporter, care form, municipality) -> value, for the weights.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, double> by_series;
  for (const Value& v : values_) {
    by_series[{v.indicator, v.reporter, v.care_form, v.municipality}] = v.value;
  }
  std::map<FigureKey, Accumulator> figures;
  auto add = [&](const Value& v, Aggregation aggregation, AggregateScope scope,
                 const std::string& municipality, double weight) {
    Accumulator& a = figures[{v.indicator, v.care_form, scope, v.region, municipality}];
    a.reporters.insert(v.reporter);
    switch (aggregation) {
      case catalogue::v1::AGGREGATION_SUM:
        a.sum += v.value;
        break;
      case catalogue::v1::AGGREGATION_WEIGHTED_MEAN:
        a.sum += weight * v.value;
        a.weight += weight;
        break;
      case catalogue::v1::AGGREGATION_MAX:
        a.max = std::max(a.max, v.value);
        break;
      case catalogue::v1::AGGREGATION_COUNT_TRUE:
        if (v.value == 1) a.reporters_true.insert(v.reporter);
        break;
      default:
        break;
    }
  };
  for (const Value& v : values_) {
    const catalogue::v1::Indicator* indicator = catalogue_->FindIndicator(v.indicator);
    if (indicator == nullptr || indicator->aggregation() == catalogue::v1::AGGREGATION_NONE ||
        indicator->aggregation() == catalogue::v1::AGGREGATION_UNSPECIFIED) {
      continue;
    }
    if (!options_.indicators.empty() && !options_.indicators.contains(v.indicator)) continue;
    double weight = 1;
    if (indicator->aggregation() == catalogue::v1::AGGREGATION_WEIGHTED_MEAN) {
      auto found =
          by_series.find({indicator->weight_indicator(), v.reporter, v.care_form, v.municipality});
      if (found == by_series.end()) {
        ++unweighted_;
        continue;
      }
      weight = found->second;
    }
    add(v, indicator->aggregation(), api::v1::AGGREGATE_SCOPE_REGION, "", weight);
    if (!options_.by_municipality) continue;
    if (!options_.municipalities.empty() && !options_.municipalities.contains(v.municipality)) {
      continue;
    }
    if (v.municipality.empty()) {
      add(v, indicator->aggregation(), api::v1::AGGREGATE_SCOPE_NO_MUNICIPALITY, "", weight);
    } else {
      add(v, indicator->aggregation(), api::v1::AGGREGATE_SCOPE_MUNICIPALITY, v.municipality,
          weight);
    }
  }
  if (options_.national) {
    std::map<FigureKey, Accumulator> national;
    for (const auto& [key, a] : figures) {
      if (std::get<2>(key) != api::v1::AGGREGATE_SCOPE_REGION) continue;
      Accumulator& n =
          national[{std::get<0>(key), std::get<1>(key), api::v1::AGGREGATE_SCOPE_NATIONAL, "", ""}];
      n.sum += a.sum;
      n.weight += a.weight;
      n.max = std::max(n.max, a.max);
      n.combined_reporters += a.Reporters();
      n.combined_true += static_cast<uint32_t>(a.reporters_true.size());
    }
    figures.merge(national);
  }

  for (const auto& [key, a] : figures) {
    const auto& [code, care_form, scope, region, municipality] = key;
    const catalogue::v1::Indicator* indicator = catalogue_->FindIndicator(code);
    api::v1::AggregateFigure figure;
    switch (indicator->aggregation()) {
      case catalogue::v1::AGGREGATION_SUM:
        figure.set_value(a.sum);
        break;
      case catalogue::v1::AGGREGATION_WEIGHTED_MEAN:
        if (a.weight <= 0) continue;
        figure.set_value(a.sum / a.weight);
        figure.set_weight(a.weight);
        break;
      case catalogue::v1::AGGREGATION_MAX:
        figure.set_value(a.max);
        break;
      case catalogue::v1::AGGREGATION_COUNT_TRUE:
        figure.set_value(static_cast<double>(a.reporters_true.size() + a.combined_true));
        break;
      default:
        continue;
    }
    figure.set_region(region);
    figure.set_scope(scope);
    figure.set_municipality(municipality);
    figure.mutable_period()->set_start(period_start_);
    figure.mutable_period()->set_end(period_end_);
    figure.mutable_period()->set_granularity(granularity_);
    figure.set_indicator(code);
    figure.set_care_form(care_form);
    figure.set_aggregation(indicator->aggregation());
    figure.set_reporters(a.Reporters());
    if (!emit(std::move(figure))) return false;
  }
  values_.clear();
  return true;
}

}  // namespace vroeg
