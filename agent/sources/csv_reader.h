#ifndef VROEG_AGENT_SOURCES_CSV_READER_H_
#define VROEG_AGENT_SOURCES_CSV_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vroeg {

// One field of a CSV record, with what was wrong with its syntax. The reader never rejects a
// record: it reports, and the caller decides.
struct CsvField {
  // The field's text with quotes removed and "" unescaped; at most the reader's field limit.
  std::string text;
  // The field was longer than the limit; `text` holds only its first bytes.
  bool too_long = false;
  // A quoted field ran to the end of the input without its closing quote.
  bool unterminated_quote = false;
  // A quote appeared inside a field that did not start with one, e.g. ab"c.
  bool stray_quote = false;
  // Text followed the closing quote of a quoted field, e.g. "ab"c.
  bool text_after_quote = false;
  bool has_nul = false;
  // Not well-formed UTF-8 (checked only when the field is not too long).
  bool invalid_utf8 = false;

  // True when any of the flags above is set.
  bool HasError() const {
    return too_long || unterminated_quote || stray_quote || text_after_quote || has_nul ||
           invalid_utf8;
  }
};

// One record: a line, or several lines when a quoted field contains line breaks.
struct CsvRecord {
  // 1-based record number; the first record (the header) is row 1.
  uint32_t row = 0;
  // How many fields the record has, which may exceed fields.size() (see CsvReader).
  size_t field_count = 0;
  std::vector<CsvField> fields;

  // True for a blank line, or a record whose fields are all empty or spaces without errors.
  bool IsBlank() const;
};

// Splits RFC 4180 text into records: fields separated by `separator`, records ended by CRLF,
// LF or CR, fields optionally quoted with "" as an escaped quote, quoted fields may contain
// separators and line breaks. Spaces before an opening quote and after a closing quote are
// ignored. Input is bytes; no byte-order mark handling (strip it first).
//
// Memory is bounded regardless of input: a field keeps at most `max_field_bytes` bytes and a
// record keeps at most `max_fields` fields (the rest are counted, not stored).
//
// The reader does not own `content`, which must outlive it. Not thread-safe; use one reader per
// thread.
class CsvReader {
 public:
  CsvReader(absl::string_view content, char separator, size_t max_field_bytes, size_t max_fields);

  // Reads the next record into `record`, replacing its contents. Returns false at the end of the
  // input; a final line break does not start an empty record.
  bool Next(CsvRecord& record);

  // Picks the separator, ',' or ';', that occurs more often outside quotes in the first record.
  // INVALID_ARGUMENT, saying which separators are supported, when neither occurs or both occur
  // equally often. Pure function.
  static absl::StatusOr<char> DetectSeparator(absl::string_view content);

 private:
  absl::string_view content_;
  char separator_;
  size_t max_field_bytes_;
  size_t max_fields_;
  size_t pos_ = 0;
  uint32_t row_ = 0;
};

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points beyond
// U+10FFFF). Pure function.
bool IsValidUtf8(absl::string_view text);

}  // namespace vroeg

#endif  // VROEG_AGENT_SOURCES_CSV_READER_H_
