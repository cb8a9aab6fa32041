#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_TABLE_WRITER_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_TABLE_WRITER_H_

// Writing an export as a table, row by row, in constant memory whatever its size: CSV, JSON Lines
// or an Excel workbook. Every row is handed on (to the stream, or to libxlsxwriter's temporary
// file of its sheet) before the next is taken, so nothing grows with the number of rows.

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace vroeg::export_format {

enum class ColumnType {
  kText,
  kNumber,
  // A calendar date.
  kDate,
  // An instant, written in UTC.
  kTimestamp,
  kBoolean,
};

struct Column {
  // Header text; also the member name in JSON Lines. snake_case, like the agent's input files.
  std::string name;
  ColumnType type = ColumnType::kText;
  // Width in characters in a workbook; 0 picks one from the type and the name.
  double width = 0;
};

// A cell's value: empty (not reported, or suppressed), or of its column's type: text, number,
// date, timestamp, boolean.
using Cell = std::variant<std::monostate, std::string, double, absl::CivilDay, absl::Time, bool>;

// Receives the rows of one export. Not thread-safe: one thread writes and finishes.
class TableWriter {
 public:
  virtual ~TableWriter() = default;

  // Appends a row of cells in column order. `sheet` names the worksheet of a workbook (routing
  // rows by dataset); CSV and JSON Lines have one table and ignore it, so a row that needs its
  // sheet's name in those formats carries it in a column. Errors: INVALID_ARGUMENT when the row
  // does not match the columns (count, or a cell of another type than its column; the row is not
  // written); UNAVAILABLE when the output cannot be written (the export is then unusable).
  virtual absl::Status WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) = 0;

  // Completes the output; no row may follow. Until it returns OK the output is incomplete: a
  // writer that goes away unfinished leaves nothing that looks like a complete export. Errors:
  // UNAVAILABLE when the output cannot be written.
  virtual absl::Status Finish() = 0;
};

enum class Format { kCsv, kJsonLines, kXlsx };

// CSV dialects. Both are RFC 4180 (a header line, CRLF line ends, fields quoted when they hold
// the separator, a quote or a line break, quotes doubled) in UTF-8.
enum class CsvDialect {
  // `,` between fields, decimal point, timestamps in RFC 3339 (2026-10-01T08:30:00Z).
  kStandard,
  // What Excel with Dutch settings opens correctly by double-click: `;` between fields, decimal
  // comma, a UTF-8 byte order mark, timestamps as 2026-10-01 08:30:00 (UTC, whole seconds).
  kDutchExcel,
};

// "csv", "jsonl", "xlsx". INVALID_ARGUMENT naming the choices otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view text);
// "standard" or "nl". INVALID_ARGUMENT naming the choices otherwise.
absl::StatusOr<CsvDialect> ParseCsvDialect(absl::string_view text);

struct OutputOptions {
  Format format = Format::kCsv;
  CsvDialect dialect = CsvDialect::kStandard;
  // Workbooks: sheets created up front in this order, even if no row comes for them; sheets
  // first named by a row follow in the order of their first row.
  std::vector<std::string> sheets;
  // Workbooks: where libxlsxwriter keeps its temporary files (about the size of the uncompressed
  // sheets) and, when writing to standard output, the workbook itself until it is complete.
  // Empty: $TMPDIR, else /tmp.
  std::string temp_dir;
  // Workbooks: rows per sheet, header included, before the rest continues on a sheet named
  // "<sheet> (2)" and so on. 0 is Excel's limit, 1048576.
  uint32_t max_rows_per_sheet = 0;
};

// Opens a writer to `path`, or to `standard_output` when `path` is "-". A file is written under
// "<path>.partial" and renamed to `path` by Finish, so an interrupted export leaves no file by the
// requested name (a path that exists and is no regular file, such as a pipe, is written
// directly). A workbook for standard output is built in `temp_dir` and copied out by Finish.
// `standard_output` must outlive the writer. Errors: INVALID_ARGUMENT for no columns or a sheet
// name Excel refuses; UNAVAILABLE when the file cannot be created.
absl::StatusOr<std::unique_ptr<TableWriter>> OpenTableWriter(std::vector<Column> columns,
                                                             const OutputOptions& options,
                                                             const std::string& path,
                                                             std::ostream& standard_output);

// Checks a row against the columns: count and each cell's type. INVALID_ARGUMENT naming the
// column otherwise. For writer implementations.
absl::Status CheckRow(absl::Span<const Column> columns, absl::Span<const Cell> cells);

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_TABLE_WRITER_H_
