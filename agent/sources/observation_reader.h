#ifndef VROEG_AGENT_SOURCES_OBSERVATION_READER_H_
#define VROEG_AGENT_SOURCES_OBSERVATION_READER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/problem.h"
#include "vroeg/api/v1/observation.pb.h"

namespace vroeg {

// Readers for the files a care provider exports: CSV in long or wide form, or JSON. They check
// syntax and structure only; whether indicator codes, care forms, municipalities and values fit
// the catalogue is for the validator.
//
// All functions here are pure (no shared state) and safe to call from any thread.
//
// CSV (RFC 4180): UTF-8 with or without byte-order mark; CRLF, LF or CR line ends; fields
// optionally quoted, with "" for a quote inside quotes. The separator is ',' or ';', whichever
// occurs more often (outside quotes) in the header line. Header names are trimmed and compared
// without regard to case. Blank rows, including rows of empty fields, are skipped.
//   Long form: columns period_start, period_end, indicator, value, and optionally care_form and
//     municipality, in any order; no other columns. One figure per row.
//   Wide form: no indicator or value column; columns period_start, period_end, optionally
//     care_form and municipality, and every other column is an indicator code (lower-cased).
//     One figure per non-empty indicator cell; an empty cell means "not reported".
// JSON: a top-level array of objects, or an object whose only key is "observations", holding
// such an array. Each object has the keys period_start, period_end, indicator, value, and
// optionally care_form and municipality (which may also be null); values are strings, except
// value, which is a number or a string in the number syntax of ParseDecimal.
//
// Cells: dates as ParseDate; numbers as ParseDecimal; indicator and care form codes trimmed and
// lower-cased (non-ASCII letters are left as they are); municipality trimmed and, when it is a
// CBS code (GM + 4 digits, or 4 digits), given as GM + 4 digits, otherwise passed through as
// written. Text that looks like a spreadsheet formula (=, +, -, @) is only ever text.

// Limits, so that a hostile or broken file cannot exhaust the agent's memory.
// Largest file or content accepted (64 MiB); larger is a whole-file error.
inline constexpr size_t kMaxFileBytes = size_t{64} << 20;
// Most CSV columns accepted; more is a whole-file error.
inline constexpr size_t kMaxColumns = 1000;
// Longest CSV field or JSON string accepted, in bytes; longer is a problem for that cell.
inline constexpr size_t kMaxFieldBytes = 4096;
// Most observations (figures) in one file; more is a whole-file error.
inline constexpr size_t kMaxObservations = 1'000'000;
// Most problems listed; beyond this one last problem (row 0) says how many more there were.
inline constexpr size_t kMaxProblems = 1000;
// Deepest JSON nesting accepted (the format itself needs 3); deeper is a whole-file error.
inline constexpr int kMaxJsonDepth = 16;

enum class FileFormat { kCsvLong, kCsvWide, kJson };

// "CSV (long form)", "CSV (wide form)" or "JSON".
absl::string_view FileFormatName(FileFormat format);

struct ReadResult {
  FileFormat format = FileFormat::kCsvLong;
  // The figures from rows (CSV) or items (JSON) in which nothing they depend on had a problem,
  // in file order. Each has source_row set (1-based, the CSV header is row 1; the JSON item
  // index) and source_column (the CSV header name of the value's column: "value" in long form,
  // the indicator code in wide form; "value" for JSON). period.granularity is left unspecified.
  std::vector<api::v1::Observation> observations;
  // Row-level problems, in file order, each naming the row and column (or JSON key). A row with
  // a problem in a date, code or value it needs contributes no observation; in wide form a bad
  // indicator cell loses only that cell's figure. At most kMaxProblems + 1 entries.
  std::vector<Problem> problems;
};

// Reads a file and parses it as CSV or JSON: by extension (.csv or .json, in any case), else by
// its first non-space byte ('[' or '{' means JSON, anything else CSV).
// Errors name the file: NOT_FOUND when it does not exist, PERMISSION_DENIED when it may not be
// read, UNAVAILABLE when reading fails in a way that may pass (I/O error, out of file handles or
// memory), and INVALID_ARGUMENT for a directory, a file over kMaxFileBytes, any other failure
// to read, and every whole-file error of ParseCsv and ParseJson.
absl::StatusOr<ReadResult> ReadObservationFile(const std::string& path);

// Parses CSV content (see above). INVALID_ARGUMENT, saying what to change, when the content is
// empty, too large, UTF-16, has no usable header (blank, unclear separator, unnamed, duplicate or
// bad header fields, more than kMaxColumns columns), misses period_start, period_end, or one of
// indicator/value, has columns that do not belong in long form, has no indicator columns in wide
// form, or has more than kMaxObservations figures. Everything else is a problem in the result.
absl::StatusOr<ReadResult> ParseCsv(absl::string_view content);

// Parses JSON content (see above). INVALID_ARGUMENT when the content is too large, not valid
// JSON (including duplicate keys in an object), nested deeper than kMaxJsonDepth, not of one of
// the two shapes, or has more than kMaxObservations items. Per-item issues (not an object,
// unknown or missing keys, wrong types, bad values) are problems with row = item index.
absl::StatusOr<ReadResult> ParseJson(absl::string_view content);

// Parses a number: optional sign, digits with at most one decimal separator ('.' or ','),
// optional exponent (e or E, optional sign, digits); surrounding spaces are ignored. Values too
// close to zero for a double become 0, and -0 becomes 0. INVALID_ARGUMENT otherwise, with the
// problem message, one of (T is the trimmed text, shortened when long):
//   "is empty; expected a number"
//   "T has more than one separator; use no thousands separators"
//   "T has a space inside; use no thousands separators"
//   "T is not a finite number"        (NaN, inf, infinity)
//   "T is not a decimal number"       (hex, formulas, any other text)
//   "T is too large"                  (beyond the range of a double)
absl::StatusOr<double> ParseDecimal(absl::string_view text);

// Parses a date written as YYYY-MM-DD, or the Dutch D-M-YYYY or DD-MM-YYYY, with '-' or '/';
// surrounding spaces are ignored. Returns it as YYYY-MM-DD. INVALID_ARGUMENT otherwise, with
// the problem message, one of:
//   "is empty; expected a date (YYYY-MM-DD or DD-MM-YYYY)"
//   "T is not a date; use YYYY-MM-DD or DD-MM-YYYY"
//   "T is not a valid date"           (no such day, e.g. 2025-02-30; or year 0)
absl::StatusOr<std::string> ParseDate(absl::string_view text);

}  // namespace vroeg

#endif  // VROEG_AGENT_SOURCES_OBSERVATION_READER_H_
