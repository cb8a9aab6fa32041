#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_XLSX_TABLE_WRITER_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_XLSX_TABLE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "tools/vroegctl/export/table_writer.h"

struct lxw_workbook;
struct lxw_worksheet;
struct lxw_format;

namespace vroeg::export_format {

// An Excel workbook (.xlsx) written with libxlsxwriter, one sheet per sheet name the rows carry.
// Every sheet starts with a bold header row, frozen so it stays in view, has column widths from
// the columns and an autofilter over its rows. Cells are typed: text as text (never a formula),
// numbers as numbers, dates and timestamps as numbers formatted yyyy-mm-dd and
// yyyy-mm-dd hh:mm:ss (UTC), booleans as booleans; empty cells are left blank.
//
// libxlsxwriter runs in constant_memory mode: each sheet keeps only its current row in memory and
// streams the rest to a temporary file, which Finish packs into the workbook. The price is that a
// sheet is written strictly top to bottom: a row, once left, cannot be written again. This writer
// only ever appends, one row at a time, so rows arrive in the sheet in the order they are given,
// and any interleaving of sheets is fine; what it cannot do is sort, so the order of the rows is
// the order of the export stream (the API fixes it). Strings are stored inline, not in a shared
// table, which makes the file somewhat larger. A sheet that reaches the row limit continues on a
// new sheet named "<sheet> (2)", "(3)", ..., with the header again.
//
// Not thread-safe.
class XlsxTableWriter : public TableWriter {
 public:
  // Creates the workbook object and the sheets in `options.sheets` (format and dialect are
  // ignored). Nothing is written to `path` before Finish, which creates or replaces the file.
  // Errors: INVALID_ARGUMENT for no columns or a sheet name Excel refuses (too long, one of
  // []:*?/\, or twice); UNAVAILABLE when libxlsxwriter cannot start.
  static absl::StatusOr<std::unique_ptr<XlsxTableWriter>> Create(std::vector<Column> columns,
                                                                 const std::string& path,
                                                                 const OutputOptions& options);
  XlsxTableWriter(const XlsxTableWriter&) = delete;
  XlsxTableWriter& operator=(const XlsxTableWriter&) = delete;
  // Discards the workbook unless Finish ran.
  ~XlsxTableWriter() override;

  absl::Status WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) override;
  // Packs the workbook into the file. A workbook that received no row holds one empty sheet,
  // "export", with the header.
  absl::Status Finish() override;

 private:
  struct Worksheet {
    lxw_worksheet* handle = nullptr;
    // The next row to write; 1 after the header.
    uint32_t next_row = 1;
  };
  // Rows of one sheet name, on one worksheet or, past the row limit, several.
  struct Sheet {
    std::string name;
    // Into worksheets_: the one rows go to now.
    size_t current = 0;
    // 1 for the first worksheet of a name, 2 for "<name> (2)", ...
    int part = 1;
  };

  XlsxTableWriter(std::vector<Column> columns, const OutputOptions& options);
  // The worksheet for the next row of sheet `name`, created or continued as needed.
  absl::StatusOr<Worksheet*> WorksheetFor(absl::string_view name);
  // Adds a worksheet with header, widths and frozen header row; returns its index.
  absl::StatusOr<size_t> AddWorksheet(const std::string& worksheet_name);

  const std::vector<Column> columns_;
  const uint32_t max_rows_;
  std::string temp_dir_;
  lxw_workbook* workbook_ = nullptr;
  lxw_format* header_format_ = nullptr;
  lxw_format* date_format_ = nullptr;
  lxw_format* timestamp_format_ = nullptr;
  // By the name rows give.
  absl::flat_hash_map<std::string, Sheet> sheets_;
  std::vector<Worksheet> worksheets_;
};

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_XLSX_TABLE_WRITER_H_
