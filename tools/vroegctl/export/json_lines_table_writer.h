#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_JSON_LINES_TABLE_WRITER_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_JSON_LINES_TABLE_WRITER_H_

#include <ostream>
#include <string>
#include <vector>

#include "tools/vroegctl/export/table_writer.h"

namespace vroeg::export_format {

// JSON Lines to a stream: one object per row on one line (ending in \n), members named after the
// columns in column order. Text as JSON strings, numbers as JSON numbers (decimal point), dates
// as "YYYY-MM-DD", timestamps as RFC 3339 strings in UTC, booleans as true/false, empty cells (and
// numbers that are not finite) as null. No header line. Not thread-safe.
class JsonLinesTableWriter : public TableWriter {
 public:
  // `out` is not owned and must outlive the writer.
  JsonLinesTableWriter(std::vector<Column> columns, std::ostream* out);

  absl::Status WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) override;
  // Flushes the stream.
  absl::Status Finish() override;

 private:
  absl::Status StreamStatus() const;

  const std::vector<Column> columns_;
  // `"name":` for every column, escaped once.
  std::vector<std::string> member_prefixes_;
  std::ostream* out_;
  // Reused for every line.
  std::string line_;
};

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_JSON_LINES_TABLE_WRITER_H_
