#include "tools/vroegctl/export/table_writer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/vroegctl/export/csv_table_writer.h"
#include "tools/vroegctl/export/json_lines_table_writer.h"
#include "tools/vroegctl/export/xlsx_table_writer.h"

namespace vroeg::export_format {
namespace {

constexpr absl::string_view kStandardOutput = "-";

absl::string_view TypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kText:
      return "text";
    case ColumnType::kNumber:
      return "a number";
    case ColumnType::kDate:
      return "a date";
    case ColumnType::kTimestamp:
      return "a timestamp";
    case ColumnType::kBoolean:
      return "a boolean";
  }
  return "?";
}

bool Matches(const Cell& cell, ColumnType type) {
  switch (type) {
    case ColumnType::kText:
      return std::holds_alternative<std::string>(cell);
    case ColumnType::kNumber:
      return std::holds_alternative<double>(cell);
    case ColumnType::kDate:
      return std::holds_alternative<absl::CivilDay>(cell);
    case ColumnType::kTimestamp:
      return std::holds_alternative<absl::Time>(cell);
    case ColumnType::kBoolean:
      return std::holds_alternative<bool>(cell);
  }
  return false;
}

absl::Status ErrnoError(int error, absl::string_view action, absl::string_view path) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", action, " ", path, ": ", std::strerror(error)));
}

std::string TempDirectory(const OutputOptions& options) {
  if (!options.temp_dir.empty()) return options.temp_dir;
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

// A writer whose output goes to a file first: on Finish the file is renamed to the requested
// path, or copied to standard output and removed; a writer dropped before that removes it.
class StagedTableWriter : public TableWriter {
 public:
  // `stream` is the file's stream for text formats (the inner writer writes into it), null for
  // a workbook, which libxlsxwriter writes itself. `copy_to` is null for a rename to `target`.
  StagedTableWriter(std::string staged, std::string target, std::unique_ptr<std::ofstream> stream,
                    std::ostream* copy_to)
      : staged_(std::move(staged)),
        target_(std::move(target)),
        stream_(std::move(stream)),
        copy_to_(copy_to) {}
  ~StagedTableWriter() override {
    inner_.reset();
    stream_.reset();
    if (!delivered_) std::remove(staged_.c_str());
  }

  void set_inner(std::unique_ptr<TableWriter> inner) { inner_ = std::move(inner); }

  absl::Status WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) override {
    return inner_->WriteRow(sheet, cells);
  }

  absl::Status Finish() override {
    if (absl::Status status = inner_->Finish(); !status.ok()) return status;
    if (stream_ != nullptr) {
      stream_->close();
      if (stream_->fail()) return ErrnoError(errno, "write", staged_);
    }
    if (copy_to_ == nullptr) {
      if (std::rename(staged_.c_str(), target_.c_str()) != 0) {
        return ErrnoError(errno, absl::StrCat("rename ", staged_, " to"), target_);
      }
      delivered_ = true;
      return absl::OkStatus();
    }
    std::ifstream in(staged_, std::ios::binary);
    if (!in) return ErrnoError(errno, "read back", staged_);
    *copy_to_ << in.rdbuf();
    copy_to_->flush();
    if (!copy_to_->good()) {
      return absl::UnavailableError("cannot write the workbook to standard output");
    }
    return absl::OkStatus();
  }

 private:
  const std::string staged_;
  const std::string target_;
  std::unique_ptr<std::ofstream> stream_;
  std::ostream* copy_to_;
  std::unique_ptr<TableWriter> inner_;
  bool delivered_ = false;
};

// A writer that owns the stream its inner writer writes into: for a path that is no regular file,
// such as a pipe, which is written in place. Members go in reverse order: the inner writer first.
class StreamOwningTableWriter : public TableWriter {
 public:
  explicit StreamOwningTableWriter(std::unique_ptr<std::ofstream> stream)
      : stream_(std::move(stream)) {}
  void set_inner(std::unique_ptr<TableWriter> inner) { inner_ = std::move(inner); }
  std::ostream* stream() const { return stream_.get(); }
  absl::Status WriteRow(absl::string_view sheet, absl::Span<const Cell> cells) override {
    return inner_->WriteRow(sheet, cells);
  }
  absl::Status Finish() override { return inner_->Finish(); }

 private:
  std::unique_ptr<std::ofstream> stream_;
  std::unique_ptr<TableWriter> inner_;
};

std::unique_ptr<TableWriter> TextWriter(std::vector<Column> columns, const OutputOptions& options,
                                        std::ostream* out) {
  if (options.format == Format::kJsonLines) {
    return std::make_unique<JsonLinesTableWriter>(std::move(columns), out);
  }
  return std::make_unique<CsvTableWriter>(std::move(columns), options.dialect, out);
}

absl::StatusOr<std::unique_ptr<std::ofstream>> OpenStream(const std::string& path) {
  auto stream = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!stream->is_open()) return ErrnoError(errno, "create", path);
  return stream;
}

// Creates `path` empty, so that an unwritable place fails before the export runs rather than
// when libxlsxwriter first opens the file in Finish.
absl::Status Touch(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return ErrnoError(errno, "create", path);
  ::close(fd);
  return absl::OkStatus();
}

bool IsOtherThanRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text == "csv") return Format::kCsv;
  if (text == "jsonl") return Format::kJsonLines;
  if (text == "xlsx") return Format::kXlsx;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", text, "\"; choose csv, jsonl or xlsx"));
}

absl::StatusOr<CsvDialect> ParseCsvDialect(absl::string_view text) {
  if (text == "standard") return CsvDialect::kStandard;
  if (text == "nl") return CsvDialect::kDutchExcel;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown CSV dialect \"", text, "\"; choose standard or nl (Excel with Dutch settings)"));
}

absl::Status CheckRow(absl::Span<const Column> columns, absl::Span<const Cell> cells) {
  if (cells.size() != columns.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a row has ", cells.size(), " cells for ", columns.size(), " columns"));
  }
  for (size_t i = 0; i < cells.size(); ++i) {
    if (std::holds_alternative<std::monostate>(cells[i]) || Matches(cells[i], columns[i].type)) {
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat("column ", columns[i].name, " holds ",
                                                   TypeName(columns[i].type),
                                                   ", but the row has another kind of value"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TableWriter>> OpenTableWriter(std::vector<Column> columns,
                                                             const OutputOptions& options,
                                                             const std::string& path,
                                                             std::ostream& standard_output) {
  if (columns.empty()) return absl::InvalidArgumentError("an export needs at least one column");
  const bool to_standard_output = path == kStandardOutput;

  if (options.format != Format::kXlsx) {
    if (to_standard_output) return TextWriter(std::move(columns), options, &standard_output);
    if (IsOtherThanRegularFile(path)) {
      absl::StatusOr<std::unique_ptr<std::ofstream>> stream = OpenStream(path);
      if (!stream.ok()) return stream.status();
      auto writer = std::make_unique<StreamOwningTableWriter>(*std::move(stream));
      writer->set_inner(TextWriter(std::move(columns), options, writer->stream()));
      return writer;
    }
    const std::string staged = absl::StrCat(path, ".partial");
    absl::StatusOr<std::unique_ptr<std::ofstream>> stream = OpenStream(staged);
    if (!stream.ok()) return stream.status();
    std::ostream* out = stream->get();
    auto writer = std::make_unique<StagedTableWriter>(staged, path, *std::move(stream), nullptr);
    writer->set_inner(TextWriter(std::move(columns), options, out));
    return writer;
  }

  // A workbook is built in a file; one for standard output or a pipe is built in the temporary
  // directory and copied out.
  std::unique_ptr<StreamOwningTableWriter> pipe;
  std::ostream* copy_to = nullptr;
  if (to_standard_output) {
    copy_to = &standard_output;
  } else if (IsOtherThanRegularFile(path)) {
    absl::StatusOr<std::unique_ptr<std::ofstream>> stream = OpenStream(path);
    if (!stream.ok()) return stream.status();
    pipe = std::make_unique<StreamOwningTableWriter>(*std::move(stream));
    copy_to = pipe->stream();
  }
  std::string staged;
  if (copy_to != nullptr) {
    std::string pattern = absl::StrCat(TempDirectory(options), "/vroeg-export-XXXXXX.xlsx");
    const int fd = ::mkstemps(pattern.data(), 5);
    if (fd < 0) return ErrnoError(errno, "create a temporary file like", pattern);
    ::close(fd);
    staged = pattern;
  } else {
    staged = absl::StrCat(path, ".partial");
    if (absl::Status status = Touch(staged); !status.ok()) return status;
  }
  // From here on the staged file is removed if anything fails.
  auto writer = std::make_unique<StagedTableWriter>(staged, path, nullptr, copy_to);
  absl::StatusOr<std::unique_ptr<XlsxTableWriter>> workbook =
      XlsxTableWriter::Create(std::move(columns), staged, options);
  if (!workbook.ok()) return workbook.status();
  writer->set_inner(*std::move(workbook));
  if (pipe == nullptr) return writer;
  pipe->set_inner(std::move(writer));
  return pipe;
}

}  // namespace vroeg::export_format
