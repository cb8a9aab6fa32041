#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_EXPORT_ROWS_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_EXPORT_ROWS_H_

// The rows of the export API (proto/vroeg/api/v1/export.proto) as table rows: the columns of each
// kind of export, typed cells, and the sheet of each row, named after the dataset of its
// indicator in the catalogue ("availability", "capacity", "staff", "finance", "events",
// "municipal"). `vroegctl export` opens a TableWriter with columns(), then hands every row of
// every streamed response to Write in stream order.
//
// Each class is not thread-safe (it reuses one row buffer); the catalogue is shared and
// immutable.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/catalogue.h"
#include "tools/vroegctl/export/small_cell_suppression.h"
#include "tools/vroegctl/export/table_writer.h"
#include "vroeg/api/v1/export.pb.h"

namespace vroeg::export_format {

// Lower-case dataset name, the sheet name: DATASET_AVAILABILITY -> "availability".
std::string DatasetName(catalogue::v1::Dataset dataset);

// Every dataset's sheet name in the catalogue schema's order, for OutputOptions::sheets, so that
// a workbook's sheets always come in the same order.
std::vector<std::string> DatasetSheets();

// Which optional columns an export has.
struct RowOptions {
  // Observations in HISTORY mode: current, superseded_by_submission_id, superseded_at.
  bool history = false;
  // A release with small-cell suppression: a `suppressed` column saying why a value is empty
  // ("primary", "complementary"). The supervisor's own, complete export has no such column.
  bool suppression = false;
};

// ExportObservations rows. Columns: dataset, region, reporter, indicator, unit, care_form,
// municipality, period_start, period_end, granularity, value, submission_id, received_at, then
// the optional ones.
class ObservationRows {
 public:
  ObservationRows(std::shared_ptr<const Catalogue> catalogue, RowOptions options);

  const std::vector<Column>& columns() const { return columns_; }

  // Writes one observation to its dataset's sheet; a suppressed one with an empty value and the
  // reason. Errors: FAILED_PRECONDITION for an indicator the catalogue does not know (use the
  // collector's catalogue); INVALID_ARGUMENT for a period that is not ISO dates, or a mark
  // without the suppression column; the writer's errors.
  absl::Status Write(const api::v1::ExportedObservation& row, disclosure::Suppression mark,
                     TableWriter& out);

 private:
  std::shared_ptr<const Catalogue> catalogue_;
  RowOptions options_;
  std::vector<Column> columns_;
  std::vector<Cell> cells_;
};

// ExportAggregates rows. Columns: dataset, region, scope, municipality, period_start, period_end,
// granularity, indicator, unit, care_form, aggregation, value, weight (weighted means only),
// reporters, then `suppressed` if asked for. A suppressed figure has empty value and weight.
class AggregateRows {
 public:
  AggregateRows(std::shared_ptr<const Catalogue> catalogue, RowOptions options);

  const std::vector<Column>& columns() const { return columns_; }

  // Errors as ObservationRows::Write.
  absl::Status Write(const api::v1::AggregateFigure& figure, disclosure::Suppression mark,
                     TableWriter& out);

 private:
  std::shared_ptr<const Catalogue> catalogue_;
  RowOptions options_;
  std::vector<Column> columns_;
  std::vector<Cell> cells_;
};

// ExportCompliance rows, on the sheet of their dataset. Columns: dataset, region, reporter,
// cadence, period_start, period_end, due, first_received_at, status, last_period_start,
// last_period_end. Compliance holds no counts, so it has no suppression.
class ComplianceRows {
 public:
  ComplianceRows();

  const std::vector<Column>& columns() const { return columns_; }

  // Errors: INVALID_ARGUMENT for a period that is not ISO dates; the writer's errors.
  absl::Status Write(const api::v1::ComplianceRecord& record, TableWriter& out);

 private:
  std::vector<Column> columns_;
  std::vector<Cell> cells_;
};

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_EXPORT_ROWS_H_
