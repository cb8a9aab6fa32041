#include "tools/vroegctl/export/xlsx_table_writer.h"

#include <xlsxwriter.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace vroeg::export_format {
namespace {

// Excel stores dates as days since 1899-12-30 (for every date after February 1900).
constexpr absl::CivilDay kExcelEpoch(1899, 12, 30);
constexpr double kUnixEpochSerial = 25569;  // 1970-01-01
constexpr double kSecondsPerDay = 86400;
// One spare character each side of the widest text Excel is likely to show; the header also
// needs room for the autofilter's button.
constexpr double kHeaderPadding = 3;
constexpr absl::string_view kDefaultSheet = "export";

absl::Status XlsxError(lxw_error error, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("cannot ", what, ": ", lxw_strerror(error)));
}

double TypeWidth(ColumnType type) {
  switch (type) {
    case ColumnType::kText:
      return 14;
    case ColumnType::kNumber:
      return 12;
    case ColumnType::kDate:
      return 11;
    case ColumnType::kTimestamp:
      return 20;
    case ColumnType::kBoolean:
      return 8;
  }
  return 12;
}

double Width(const Column& column) {
  if (column.width > 0) return column.width;
  return std::max(TypeWidth(column.type), static_cast<double>(column.name.size()) + kHeaderPadding);
}

// "<name> (n)", shortening the name so the whole stays within Excel's 31 characters. Sheet names
// count characters, not bytes; cutting at a byte boundary inside a UTF-8 sequence is avoided by
// backing up over continuation bytes.
std::string ContinuationName(absl::string_view name, int part) {
  const std::string suffix = absl::StrCat(" (", part, ")");
  size_t keep = std::min(name.size(), LXW_SHEETNAME_MAX - suffix.size());
  while (keep > 0 && keep < name.size() &&
         (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  return absl::StrCat(name.substr(0, keep), suffix);
}

}  // namespace

XlsxTableWriter::XlsxTableWriter(std::vector<Column> columns, const OutputOptions& options)
    : columns_(std::move(columns)),
      max_rows_(options.max_rows_per_sheet == 0
                    ? LXW_ROW_MAX
                    : std::min<uint32_t>(options.max_rows_per_sheet, LXW_ROW_MAX)),
      temp_dir_(options.temp_dir) {}

absl::StatusOr<std::unique_ptr<XlsxTableWriter>> XlsxTableWriter::Create(
    std::vector<Column> columns, const std::string& path, const OutputOptions& options) {
  if (columns.empty()) return absl::InvalidArgumentError("an export needs at least one column");
  if (columns.size() > LXW_COL_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("a workbook holds at most ", LXW_COL_MAX, " columns"));
  }
  if (options.max_rows_per_sheet == 1) {
    return absl::InvalidArgumentError("a sheet needs room for a row below its header");
  }
  std::unique_ptr<XlsxTableWriter> writer(new XlsxTableWriter(std::move(columns), options));

  lxw_workbook_options workbook_options = {};
  workbook_options.constant_memory = LXW_TRUE;
  workbook_options.tmpdir = writer->temp_dir_.empty() ? nullptr : writer->temp_dir_.data();
  writer->workbook_ = workbook_new_opt(path.c_str(), &workbook_options);
  if (writer->workbook_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot start the workbook ", path));
  }
  writer->header_format_ = workbook_add_format(writer->workbook_);
  format_set_bold(writer->header_format_);
  writer->date_format_ = workbook_add_format(writer->workbook_);
  format_set_num_format(writer->date_format_, "yyyy-mm-dd");
  writer->timestamp_format_ = workbook_add_format(writer->workbook_);
  format_set_num_format(writer->timestamp_format_, "yyyy-mm-dd hh:mm:ss");

  for (const std::string& sheet : options.sheets) {
    absl::StatusOr<Worksheet*> created = writer->WorksheetFor(sheet);
    if (!created.ok()) return created.status();
  }
  return writer;
}

XlsxTableWriter::~XlsxTableWriter() {
  if (workbook_ != nullptr) lxw_workbook_free(workbook_);
}

absl::StatusOr<size_t> XlsxTableWriter::AddWorksheet(const std::string& worksheet_name) {
  if (lxw_error error = workbook_validate_sheet_name(workbook_, worksheet_name.c_str());
      error != LXW_NO_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat("sheet name \"", worksheet_name, "\": ", lxw_strerror(error)));
  }
  lxw_worksheet* handle = workbook_add_worksheet(workbook_, worksheet_name.c_str());
  if (handle == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot add the sheet \"", worksheet_name, "\""));
  }
  // In constant_memory mode column settings must come before the first row.
  for (size_t col = 0; col < columns_.size(); ++col) {
    const auto c = static_cast<lxw_col_t>(col);
    if (lxw_error error = worksheet_set_column(handle, c, c, Width(columns_[col]), nullptr);
        error != LXW_NO_ERROR) {
      return XlsxError(error, "set a column width");
    }
    if (lxw_error error =
            worksheet_write_string(handle, 0, c, columns_[col].name.c_str(), header_format_);
        error != LXW_NO_ERROR) {
      return XlsxError(error, "write the header");
    }
  }
  worksheet_freeze_panes(handle, 1, 0);
  worksheets_.push_back(Worksheet{handle, 1});
  return worksheets_.size() - 1;
}

absl::StatusOr<XlsxTableWriter::Worksheet*> XlsxTableWriter::WorksheetFor(absl::string_view name) {
  auto it = sheets_.find(name);
  if (it == sheets_.end()) {
    absl::StatusOr<size_t> added = AddWorksheet(std::string(name));
    if (!added.ok()) return added.status();
    it = sheets_.emplace(std::string(name), Sheet{std::string(name), *added, 1}).first;
  }
  Sheet& sheet = it->second;
  if (worksheets_[sheet.current].next_row >= max_rows_) {
    absl::StatusOr<size_t> added = AddWorksheet(ContinuationName(sheet.name, sheet.part + 1));
    if (!added.ok()) return added.status();
    sheet.current = *added;
    ++sheet.part;
  }
  return &worksheets_[sheet.current];
}

absl::Status XlsxTableWriter::WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) {
  if (workbook_ == nullptr) return absl::FailedPreconditionError("the workbook is finished");
  if (absl::Status status = CheckRow(columns_, cells); !status.ok()) return status;
  absl::StatusOr<Worksheet*> worksheet = WorksheetFor(sheet);
  if (!worksheet.ok()) return worksheet.status();
  lxw_worksheet* handle = (*worksheet)->handle;
  const lxw_row_t row = (*worksheet)->next_row;
  for (size_t i = 0; i < cells.size(); ++i) {
    const auto col = static_cast<lxw_col_t>(i);
    lxw_error error = LXW_NO_ERROR;
    const Cell& cell = cells[i];
    if (const auto* text = std::get_if<std::string>(&cell)) {
      if (!text->empty()) error = worksheet_write_string(handle, row, col, text->c_str(), nullptr);
    } else if (const auto* number = std::get_if<double>(&cell)) {
      if (std::isfinite(*number))
        error = worksheet_write_number(handle, row, col, *number, nullptr);
    } else if (const auto* day = std::get_if<absl::CivilDay>(&cell)) {
      error = worksheet_write_number(handle, row, col, static_cast<double>(*day - kExcelEpoch),
                                     date_format_);
    } else if (const auto* time = std::get_if<absl::Time>(&cell)) {
      const double serial =
          kUnixEpochSerial + absl::ToDoubleSeconds(*time - absl::UnixEpoch()) / kSecondsPerDay;
      error = worksheet_write_number(handle, row, col, serial, timestamp_format_);
    } else if (const auto* flag = std::get_if<bool>(&cell)) {
      error = worksheet_write_boolean(handle, row, col, *flag ? 1 : 0, nullptr);
    }
    if (error != LXW_NO_ERROR) {
      return XlsxError(error, absl::StrCat("write column ", columns_[i].name));
    }
  }
  ++(*worksheet)->next_row;
  return absl::OkStatus();
}

absl::Status XlsxTableWriter::Finish() {
  if (workbook_ == nullptr) return absl::FailedPreconditionError("the workbook is finished");
  if (worksheets_.empty()) {
    absl::StatusOr<Worksheet*> created = WorksheetFor(kDefaultSheet);
    if (!created.ok()) return created.status();
  }
  const auto last_col = static_cast<lxw_col_t>(columns_.size() - 1);
  for (const Worksheet& worksheet : worksheets_) {
    if (lxw_error error =
            worksheet_autofilter(worksheet.handle, 0, 0, worksheet.next_row - 1, last_col);
        error != LXW_NO_ERROR) {
      return XlsxError(error, "set an autofilter");
    }
  }
  // workbook_close frees the workbook whatever it returns.
  const lxw_error error = workbook_close(workbook_);
  workbook_ = nullptr;
  if (error != LXW_NO_ERROR) return XlsxError(error, "write the workbook");
  return absl::OkStatus();
}

}  // namespace vroeg::export_format
