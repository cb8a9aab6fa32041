#include "tools/vroegctl/export/json_lines_table_writer.h"

#include <cmath>
#include <utility>

#include "tools/vroegctl/export/cell_text.h"

namespace vroeg::export_format {

JsonLinesTableWriter::JsonLinesTableWriter(std::vector<Column> columns, std::ostream* out)
    : columns_(std::move(columns)), out_(out) {
  for (const Column& column : columns_) {
    std::string prefix;
    AppendJsonString(column.name, &prefix);
    prefix.push_back(':');
    member_prefixes_.push_back(std::move(prefix));
  }
}

absl::Status JsonLinesTableWriter::WriteRow(absl::string_view /*sheet*/,
                                            absl::Span<const Cell> cells) {
  if (absl::Status status = CheckRow(columns_, cells); !status.ok()) return status;
  line_.clear();
  line_.push_back('{');
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line_.push_back(',');
    line_.append(member_prefixes_[i]);
    const Cell& cell = cells[i];
    if (const auto* text = std::get_if<std::string>(&cell)) {
      AppendJsonString(*text, &line_);
    } else if (const auto* number = std::get_if<double>(&cell); number && std::isfinite(*number)) {
      AppendNumber(*number, '.', &line_);
    } else if (const auto* day = std::get_if<absl::CivilDay>(&cell)) {
      line_.push_back('"');
      AppendDate(*day, &line_);
      line_.push_back('"');
    } else if (const auto* time = std::get_if<absl::Time>(&cell)) {
      line_.push_back('"');
      AppendTimestamp(*time, /*spreadsheet=*/false, &line_);
      line_.push_back('"');
    } else if (const auto* flag = std::get_if<bool>(&cell)) {
      line_.append(*flag ? "true" : "false");
    } else {
      line_.append("null");
    }
  }
  line_.append("}\n");
  out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  return StreamStatus();
}

absl::Status JsonLinesTableWriter::Finish() {
  out_->flush();
  return StreamStatus();
}

absl::Status JsonLinesTableWriter::StreamStatus() const {
  if (out_->good()) return absl::OkStatus();
  return absl::UnavailableError(
      "cannot write the JSON Lines output (disk full, or the reader went away?)");
}

}  // namespace vroeg::export_format
