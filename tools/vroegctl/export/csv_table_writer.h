#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_CSV_TABLE_WRITER_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_CSV_TABLE_WRITER_H_

#include <ostream>
#include <string>
#include <vector>

#include "tools/vroegctl/export/table_writer.h"

namespace vroeg::export_format {

// CSV in either dialect (table_writer.h) to a stream. Cells: text as is (quoted when needed),
// numbers as AppendNumber writes them with the dialect's decimal separator, dates YYYY-MM-DD,
// timestamps per dialect, booleans true/false, empty cells as nothing. Not thread-safe.
class CsvTableWriter : public TableWriter {
 public:
  // Writes the byte order mark (Dutch Excel dialect) and the header line at once. `out` is not
  // owned and must outlive the writer.
  CsvTableWriter(std::vector<Column> columns, CsvDialect dialect, std::ostream* out);

  absl::Status WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) override;
  // Flushes the stream.
  absl::Status Finish() override;

 private:
  void AppendField(absl::string_view text);
  absl::Status StreamStatus() const;

  const std::vector<Column> columns_;
  const char separator_;
  const char decimal_separator_;
  const bool spreadsheet_times_;
  // Characters that make a field quoted.
  const std::string needs_quotes_;
  std::ostream* out_;
  // Reused for every line, so that a row costs no allocation once it has grown.
  std::string line_;
  std::string field_;
};

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_CSV_TABLE_WRITER_H_
