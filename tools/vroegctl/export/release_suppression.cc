#include "tools/vroegctl/export/release_suppression.h"

#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vroeg::export_format {
namespace {

using ::vroeg::disclosure::CountTable;
using ::vroeg::disclosure::Suppression;

// Coordinates of an aggregate table: period, measure (an indicator, or the weight of a mean),
// care form, region, area. A missing region or area is the total over it.
enum Dimension { kPeriod, kMeasure, kCareForm, kRegion, kArea, kDimensions };

constexpr absl::string_view kWeightSuffix = " weight";

absl::StatusOr<const catalogue::v1::Indicator*> Indicator(const Catalogue& catalogue,
                                                          const std::string& code) {
  const catalogue::v1::Indicator* indicator = catalogue.FindIndicator(code);
  if (indicator == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("indicator \"", code, "\" is not in catalogue version ", catalogue.version(),
                     "; export with the collector's own catalogue"));
  }
  return indicator;
}

// The indicator a weighted mean is weighted by, when that is a count of youths.
const catalogue::v1::Indicator* CountWeight(const Catalogue& catalogue,
                                            const catalogue::v1::Indicator& indicator) {
  if (indicator.aggregation() != catalogue::v1::AGGREGATION_WEIGHTED_MEAN) return nullptr;
  const catalogue::v1::Indicator* weight = catalogue.FindIndicator(indicator.weight_indicator());
  if (weight == nullptr || weight->unit() != catalogue::v1::UNIT_COUNT) return nullptr;
  return weight;
}

// Region and area coordinates of a figure whose sums follow its scope.
absl::StatusOr<std::pair<std::optional<std::string>, std::optional<std::string>>> Place(
    const api::v1::AggregateFigure& figure) {
  switch (figure.scope()) {
    case api::v1::AGGREGATE_SCOPE_NATIONAL:
      return std::make_pair(std::nullopt, std::nullopt);
    case api::v1::AGGREGATE_SCOPE_REGION:
      return std::make_pair(std::optional<std::string>(figure.region()), std::nullopt);
    case api::v1::AGGREGATE_SCOPE_MUNICIPALITY:
      return std::make_pair(std::optional<std::string>(figure.region()),
                            std::optional<std::string>(figure.municipality()));
    case api::v1::AGGREGATE_SCOPE_NO_MUNICIPALITY:
      // "" is no municipality code, so it cannot meet a MUNICIPALITY figure.
      return std::make_pair(std::optional<std::string>(figure.region()),
                            std::optional<std::string>(""));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("an aggregate of ", figure.indicator(), " has no scope"));
  }
}

}  // namespace

absl::StatusOr<std::vector<Suppression>> SuppressAggregates(
    absl::Span<const api::v1::AggregateFigure> figures, const Catalogue& catalogue, int64_t k) {
  CountTable table(kDimensions);
  // The table cell each figure's mark comes from, if any.
  std::vector<std::optional<size_t>> cell_of(figures.size());
  // Mean-weight cells and the key of their weight indicator's figure at the same place.
  std::vector<std::pair<size_t, CountTable::Key>> weight_links;

  for (size_t i = 0; i < figures.size(); ++i) {
    const api::v1::AggregateFigure& figure = figures[i];
    absl::StatusOr<const catalogue::v1::Indicator*> indicator =
        Indicator(catalogue, figure.indicator());
    if (!indicator.ok()) return indicator.status();
    auto place = Place(figure);
    if (!place.ok()) return place.status();
    CountTable::Key key(kDimensions);
    key[kPeriod] = absl::StrCat(figure.period().start(), "/", figure.period().end());
    key[kCareForm] = figure.care_form();
    key[kRegion] = place->first;
    key[kArea] = place->second;

    double count = 0;
    const bool is_count = (*indicator)->unit() == catalogue::v1::UNIT_COUNT;
    const catalogue::v1::Indicator* weight = CountWeight(catalogue, **indicator);
    if (is_count && figure.aggregation() == catalogue::v1::AGGREGATION_SUM) {
      key[kMeasure] = figure.indicator();
      count = figure.value();
    } else if (is_count) {
      // A count that does not add up over places (e.g. a maximum): withheld when small, but in no
      // published sum, so every coordinate is set and distinct per figure.
      key[kMeasure] = figure.indicator();
      key[kRegion] = absl::StrCat(figure.region(), "|", static_cast<int>(figure.scope()));
      key[kArea] = figure.municipality();
      count = figure.value();
    } else if (weight != nullptr) {
      key[kMeasure] = absl::StrCat(figure.indicator(), kWeightSuffix);
      count = figure.weight();
    } else {
      continue;
    }
    absl::StatusOr<size_t> cell = table.Add(key, count);
    if (!cell.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("aggregate of ", figure.indicator(), " for ", figure.period().start(),
                       " to ", figure.period().end(), ": ", cell.status().message()));
    }
    cell_of[i] = *cell;
    if (weight != nullptr && !is_count) {
      CountTable::Key weight_key = key;
      weight_key[kMeasure] = weight->code();
      weight_links.emplace_back(*cell, std::move(weight_key));
    }
  }
  for (const auto& [cell, weight_key] : weight_links) {
    if (std::optional<size_t> weight_cell = table.Find(weight_key)) {
      if (absl::Status status = table.Link(cell, *weight_cell); !status.ok()) return status;
    }
  }

  absl::StatusOr<disclosure::SuppressionResult> result = table.Suppress(k);
  if (!result.ok()) return result.status();
  std::vector<Suppression> marks(figures.size(), Suppression::kNone);
  for (size_t i = 0; i < figures.size(); ++i) {
    if (cell_of[i].has_value()) marks[i] = result->cells[*cell_of[i]];
  }
  return marks;
}

absl::StatusOr<std::vector<Suppression>> SuppressObservations(
    absl::Span<const api::v1::ExportedObservation> rows, const Catalogue& catalogue, int64_t k) {
  // reporter, indicator, care form, municipality, period start, period end, submission.
  using RowKey = std::tuple<std::string, std::string, std::string, std::string, std::string,
                            std::string, std::string>;
  auto key_of = [](const api::v1::ExportedObservation& row, const std::string& indicator) {
    const api::v1::Observation& o = row.observation();
    return RowKey(row.reporter(), indicator, o.care_form(), o.municipality(), o.period().start(),
                  o.period().end(), row.submission_id());
  };

  std::vector<Suppression> marks(rows.size(), Suppression::kNone);
  std::vector<const catalogue::v1::Indicator*> indicators(rows.size());
  absl::flat_hash_map<RowKey, size_t> row_of;
  for (size_t i = 0; i < rows.size(); ++i) {
    absl::StatusOr<const catalogue::v1::Indicator*> indicator =
        Indicator(catalogue, rows[i].observation().indicator());
    if (!indicator.ok()) return indicator.status();
    indicators[i] = *indicator;
    const double value = rows[i].observation().value();
    if ((*indicator)->unit() == catalogue::v1::UNIT_COUNT && value > 0 &&
        value < static_cast<double>(k)) {
      marks[i] = Suppression::kPrimary;
    }
    row_of.emplace(key_of(rows[i], (*indicator)->code()), i);
  }
  if (k <= 1) return marks;
  for (size_t i = 0; i < rows.size(); ++i) {
    const catalogue::v1::Indicator* weight = CountWeight(catalogue, *indicators[i]);
    if (weight == nullptr) continue;
    const auto weight_row = row_of.find(key_of(rows[i], weight->code()));
    // Without its weight a mean could stand for a single youth.
    if (weight_row == row_of.end() || marks[weight_row->second] != Suppression::kNone) {
      marks[i] = Suppression::kComplementary;
    }
  }
  return marks;
}

}  // namespace vroeg::export_format
