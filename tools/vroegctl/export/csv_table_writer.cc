#include "tools/vroegctl/export/csv_table_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/vroegctl/export/cell_text.h"

namespace vroeg::export_format {
namespace {

constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr absl::string_view kLineEnd = "\r\n";

}  // namespace

CsvTableWriter::CsvTableWriter(std::vector<Column> columns, CsvDialect dialect, std::ostream* out)
    : columns_(std::move(columns)),
      separator_(dialect == CsvDialect::kDutchExcel ? ';' : ','),
      decimal_separator_(dialect == CsvDialect::kDutchExcel ? ',' : '.'),
      spreadsheet_times_(dialect == CsvDialect::kDutchExcel),
      needs_quotes_{separator_, '"', '\r', '\n'},
      out_(out) {
  if (dialect == CsvDialect::kDutchExcel) absl::StrAppend(&line_, kByteOrderMark);
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) line_.push_back(separator_);
    AppendField(columns_[i].name);
  }
  absl::StrAppend(&line_, kLineEnd);
  out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

void CsvTableWriter::AppendField(absl::string_view text) {
  if (text.find_first_of(needs_quotes_) == absl::string_view::npos) {
    absl::StrAppend(&line_, text);
    return;
  }
  line_.push_back('"');
  for (const char c : text) {
    if (c == '"') line_.push_back('"');
    line_.push_back(c);
  }
  line_.push_back('"');
}

absl::Status CsvTableWriter::WriteRow(absl::string_view /*sheet*/, absl::Span<const Cell> cells) {
  if (absl::Status status = CheckRow(columns_, cells); !status.ok()) return status;
  line_.clear();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line_.push_back(separator_);
    field_.clear();
    if (const auto* text = std::get_if<std::string>(&cells[i])) {
      AppendField(*text);
      continue;
    }
    if (const auto* number = std::get_if<double>(&cells[i])) {
      AppendNumber(*number, decimal_separator_, &field_);
    } else if (const auto* day = std::get_if<absl::CivilDay>(&cells[i])) {
      AppendDate(*day, &field_);
    } else if (const auto* time = std::get_if<absl::Time>(&cells[i])) {
      AppendTimestamp(*time, spreadsheet_times_, &field_);
    } else if (const auto* flag = std::get_if<bool>(&cells[i])) {
      field_.append(*flag ? "true" : "false");
    }
    AppendField(field_);
  }
  absl::StrAppend(&line_, kLineEnd);
  out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  return StreamStatus();
}

absl::Status CsvTableWriter::Finish() {
  out_->flush();
  return StreamStatus();
}

absl::Status CsvTableWriter::StreamStatus() const {
  if (out_->good()) return absl::OkStatus();
  return absl::UnavailableError(
      "cannot write the CSV output (disk full, or the reader went away?)");
}

}  // namespace vroeg::export_format
