#include "tools/vroegctl/export/export_rows.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/period.h"
#include "common/proto_time.h"

namespace vroeg::export_format {
namespace {

using ::vroeg::disclosure::Suppression;

// An enum value's name in lower case without its type prefix (UNIT_COUNT -> "count"); values
// this build does not know keep their number, so a newer collector's rows still export.
std::string Label(const std::string& name, absl::string_view prefix, int number) {
  absl::string_view label = name;
  if (!absl::ConsumePrefix(&label, prefix) || label.empty()) {
    return absl::StrCat(absl::AsciiStrToLower(prefix), number);
  }
  return absl::AsciiStrToLower(label);
}

std::string UnitName(catalogue::v1::Unit unit) {
  return Label(catalogue::v1::Unit_Name(unit), "UNIT_", unit);
}

std::string GranularityText(type::v1::Granularity granularity) {
  return Label(type::v1::Granularity_Name(granularity), "GRANULARITY_", granularity);
}

// The period's dates into two cells and its granularity into a third (derived from the dates
// when the row leaves it unspecified).
absl::Status AddPeriod(const api::v1::Period& period, std::vector<Cell>& cells,
                       bool with_granularity) {
  absl::StatusOr<absl::CivilDay> start = ParseIsoDate(period.start());
  absl::StatusOr<absl::CivilDay> end = ParseIsoDate(period.end());
  if (!start.ok() || !end.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the period \"", period.start(), "\" to \"",
                                                   period.end(), "\" is not two ISO dates"));
  }
  cells.emplace_back(*start);
  cells.emplace_back(*end);
  if (!with_granularity) return absl::OkStatus();
  type::v1::Granularity granularity = period.granularity();
  if (granularity == type::v1::GRANULARITY_UNSPECIFIED) {
    granularity = GranularityOf(*start, *end).value_or(type::v1::GRANULARITY_UNSPECIFIED);
  }
  cells.emplace_back(granularity == type::v1::GRANULARITY_UNSPECIFIED
                         ? Cell{}
                         : Cell{GranularityText(granularity)});
  return absl::OkStatus();
}

// `status` with what the row is about in front, built only on error.
absl::Status InRow(absl::Status status, absl::string_view what, absl::string_view who) {
  if (status.ok()) return status;
  return absl::InvalidArgumentError(absl::StrCat(what, who, ": ", status.message()));
}

Cell TimestampCell(bool present, const google::protobuf::Timestamp& timestamp) {
  if (!present) return Cell{};
  return Cell{FromProtoTimestamp(timestamp)};
}

Cell TextCell(const std::string& text) {
  if (text.empty()) return Cell{};
  return Cell{text};
}

absl::StatusOr<const catalogue::v1::Indicator*> FindIndicator(const Catalogue& catalogue,
                                                              const std::string& code) {
  const catalogue::v1::Indicator* indicator = catalogue.FindIndicator(code);
  if (indicator == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("indicator \"", code, "\" is not in catalogue version ", catalogue.version(),
                     "; export with the collector's own catalogue"));
  }
  return indicator;
}

absl::Status CheckMark(Suppression mark, const RowOptions& options) {
  if (mark != Suppression::kNone && !options.suppression) {
    return absl::InvalidArgumentError(
        "a row is suppressed, but the export has no suppressed column");
  }
  return absl::OkStatus();
}

void AddSuppressionColumn(const RowOptions& options, std::vector<Column>& columns) {
  if (options.suppression) columns.push_back({"suppressed", ColumnType::kText, 14});
}

}  // namespace

std::string DatasetName(catalogue::v1::Dataset dataset) {
  return Label(catalogue::v1::Dataset_Name(dataset), "DATASET_", dataset);
}

std::vector<std::string> DatasetSheets() {
  std::vector<std::string> sheets;
  const google::protobuf::EnumDescriptor* datasets = catalogue::v1::Dataset_descriptor();
  for (int i = 0; i < datasets->value_count(); ++i) {
    const auto dataset = static_cast<catalogue::v1::Dataset>(datasets->value(i)->number());
    if (dataset != catalogue::v1::DATASET_UNSPECIFIED) sheets.push_back(DatasetName(dataset));
  }
  return sheets;
}

ObservationRows::ObservationRows(std::shared_ptr<const Catalogue> catalogue, RowOptions options)
    : catalogue_(std::move(catalogue)), options_(options) {
  columns_ = {
      {"dataset", ColumnType::kText, 0},
      {"region", ColumnType::kText, 0},
      {"reporter", ColumnType::kText, 32},
      {"indicator", ColumnType::kText, 28},
      {"unit", ColumnType::kText, 0},
      {"care_form", ColumnType::kText, 28},
      {"municipality", ColumnType::kText, 0},
      {"period_start", ColumnType::kDate, 0},
      {"period_end", ColumnType::kDate, 0},
      {"granularity", ColumnType::kText, 0},
      {"value", ColumnType::kNumber, 0},
      {"submission_id", ColumnType::kText, 28},
      {"received_at", ColumnType::kTimestamp, 0},
  };
  if (options_.history) {
    columns_.push_back({"current", ColumnType::kBoolean, 0});
    columns_.push_back({"superseded_by_submission_id", ColumnType::kText, 28});
    columns_.push_back({"superseded_at", ColumnType::kTimestamp, 0});
  }
  AddSuppressionColumn(options_, columns_);
  cells_.reserve(columns_.size());
}

absl::Status ObservationRows::Write(const api::v1::ExportedObservation& row, Suppression mark,
                                    TableWriter& out) {
  if (absl::Status status = CheckMark(mark, options_); !status.ok()) return status;
  const api::v1::Observation& observation = row.observation();
  absl::StatusOr<const catalogue::v1::Indicator*> indicator =
      FindIndicator(*catalogue_, observation.indicator());
  if (!indicator.ok()) return indicator.status();
  const std::string sheet = DatasetName((*indicator)->dataset());

  cells_.clear();
  cells_.emplace_back(sheet);
  cells_.push_back(TextCell(row.region()));
  cells_.push_back(TextCell(row.reporter()));
  cells_.emplace_back(observation.indicator());
  cells_.emplace_back(UnitName((*indicator)->unit()));
  cells_.push_back(TextCell(observation.care_form()));
  cells_.push_back(TextCell(observation.municipality()));
  if (absl::Status status =
          InRow(AddPeriod(observation.period(), cells_, /*with_granularity=*/true),
                "observation in submission ", row.submission_id());
      !status.ok()) {
    return status;
  }
  cells_.push_back(mark == Suppression::kNone ? Cell{observation.value()} : Cell{});
  cells_.push_back(TextCell(row.submission_id()));
  cells_.push_back(TimestampCell(row.has_received_at(), row.received_at()));
  if (options_.history) {
    cells_.emplace_back(row.current());
    cells_.push_back(TextCell(row.superseded_by_submission_id()));
    cells_.push_back(TimestampCell(row.has_superseded_at(), row.superseded_at()));
  }
  if (options_.suppression) cells_.push_back(TextCell(std::string(SuppressionName(mark))));
  return out.WriteRow(sheet, cells_);
}

AggregateRows::AggregateRows(std::shared_ptr<const Catalogue> catalogue, RowOptions options)
    : catalogue_(std::move(catalogue)), options_(options) {
  columns_ = {
      {"dataset", ColumnType::kText, 0},      {"region", ColumnType::kText, 0},
      {"scope", ColumnType::kText, 0},        {"municipality", ColumnType::kText, 0},
      {"period_start", ColumnType::kDate, 0}, {"period_end", ColumnType::kDate, 0},
      {"granularity", ColumnType::kText, 0},  {"indicator", ColumnType::kText, 28},
      {"unit", ColumnType::kText, 0},         {"care_form", ColumnType::kText, 28},
      {"aggregation", ColumnType::kText, 0},  {"value", ColumnType::kNumber, 0},
      {"weight", ColumnType::kNumber, 0},     {"reporters", ColumnType::kNumber, 0},
  };
  AddSuppressionColumn(options_, columns_);
  cells_.reserve(columns_.size());
}

absl::Status AggregateRows::Write(const api::v1::AggregateFigure& figure, Suppression mark,
                                  TableWriter& out) {
  if (absl::Status status = CheckMark(mark, options_); !status.ok()) return status;
  absl::StatusOr<const catalogue::v1::Indicator*> indicator =
      FindIndicator(*catalogue_, figure.indicator());
  if (!indicator.ok()) return indicator.status();
  const std::string sheet = DatasetName((*indicator)->dataset());
  const bool suppressed = mark != Suppression::kNone;
  const bool weighted = figure.aggregation() == catalogue::v1::AGGREGATION_WEIGHTED_MEAN;

  cells_.clear();
  cells_.emplace_back(sheet);
  cells_.push_back(TextCell(figure.region()));
  cells_.emplace_back(
      Label(api::v1::AggregateScope_Name(figure.scope()), "AGGREGATE_SCOPE_", figure.scope()));
  cells_.push_back(TextCell(figure.municipality()));
  if (absl::Status status = InRow(AddPeriod(figure.period(), cells_, /*with_granularity=*/true),
                                  "aggregate of ", figure.indicator());
      !status.ok()) {
    return status;
  }
  cells_.emplace_back(figure.indicator());
  cells_.emplace_back(UnitName((*indicator)->unit()));
  cells_.push_back(TextCell(figure.care_form()));
  cells_.emplace_back(Label(catalogue::v1::Aggregation_Name(figure.aggregation()), "AGGREGATION_",
                            figure.aggregation()));
  cells_.push_back(suppressed ? Cell{} : Cell{figure.value()});
  cells_.push_back(suppressed || !weighted ? Cell{} : Cell{figure.weight()});
  cells_.emplace_back(static_cast<double>(figure.reporters()));
  if (options_.suppression) cells_.push_back(TextCell(std::string(SuppressionName(mark))));
  return out.WriteRow(sheet, cells_);
}

ComplianceRows::ComplianceRows() {
  columns_ = {
      {"dataset", ColumnType::kText, 0},         {"region", ColumnType::kText, 0},
      {"reporter", ColumnType::kText, 32},       {"cadence", ColumnType::kText, 0},
      {"period_start", ColumnType::kDate, 0},    {"period_end", ColumnType::kDate, 0},
      {"due", ColumnType::kTimestamp, 0},        {"first_received_at", ColumnType::kTimestamp, 0},
      {"status", ColumnType::kText, 0},          {"last_period_start", ColumnType::kDate, 0},
      {"last_period_end", ColumnType::kDate, 0},
  };
  cells_.reserve(columns_.size());
}

absl::Status ComplianceRows::Write(const api::v1::ComplianceRecord& record, TableWriter& out) {
  const std::string sheet = DatasetName(record.dataset());
  cells_.clear();
  cells_.emplace_back(sheet);
  cells_.push_back(TextCell(record.region()));
  cells_.push_back(TextCell(record.reporter()));
  cells_.emplace_back(GranularityText(record.cadence()));
  if (absl::Status status = InRow(AddPeriod(record.period(), cells_, /*with_granularity=*/false),
                                  "compliance of ", record.reporter());
      !status.ok()) {
    return status;
  }
  cells_.push_back(TimestampCell(record.has_due(), record.due()));
  cells_.push_back(TimestampCell(record.has_first_received_at(), record.first_received_at()));
  cells_.emplace_back(Label(api::v1::ComplianceStatus_Name(record.status()), "COMPLIANCE_STATUS_",
                            record.status()));
  if (record.has_last_period_received()) {
    if (absl::Status status =
            InRow(AddPeriod(record.last_period_received(), cells_, /*with_granularity=*/false),
                  "last period received of ", record.reporter());
        !status.ok()) {
      return status;
    }
  } else {
    cells_.emplace_back();
    cells_.emplace_back();
  }
  return out.WriteRow(sheet, cells_);
}

}  // namespace vroeg::export_format
