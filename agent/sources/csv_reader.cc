#include "agent/sources/csv_reader.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vroeg {
namespace {

bool IsLineBreak(char c) { return c == '\n' || c == '\r'; }
bool IsBlankChar(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    // The narrowed ranges for the second byte rule out overlong forms, UTF-16 surrogates and
    // code points beyond U+10FFFF, as in RFC 3629's table.
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) min_second = 0xA0;
      if (lead == 0xED) max_second = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) min_second = 0x90;
      if (lead == 0xF4) max_second = 0x8F;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < min_second || second > max_second) return false;
    for (size_t k = 2; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if (next < 0x80 || next > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

bool CsvRecord::IsBlank() const {
  if (field_count != fields.size()) return false;
  for (const CsvField& field : fields) {
    if (field.HasError()) return false;
    for (char c : field.text) {
      if (!IsBlankChar(c)) return false;
    }
  }
  return true;
}

CsvReader::CsvReader(absl::string_view content, char separator, size_t max_field_bytes,
                     size_t max_fields)
    : content_(content),
      separator_(separator),
      max_field_bytes_(max_field_bytes),
      max_fields_(max_fields) {}

bool CsvReader::Next(CsvRecord& record) {
  if (pos_ >= content_.size()) return false;
  record.row = ++row_;
  record.field_count = 0;
  record.fields.clear();

  enum class State { kStart, kUnquoted, kQuoted, kAfterQuote };
  const size_t size = content_.size();
  bool record_done = false;
  while (!record_done) {
    CsvField field;
    auto append = [&](char c) {
      if (c == '\0') field.has_nul = true;
      if (field.text.size() < max_field_bytes_) {
        field.text.push_back(c);
      } else {
        field.too_long = true;
      }
    };
    State state = State::kStart;
    bool field_done = false;
    while (!field_done && pos_ < size) {
      const char c = content_[pos_];
      switch (state) {
        case State::kStart:
          if (IsBlankChar(c)) {
            append(c);
            ++pos_;
          } else if (c == '"') {
            // Spaces before an opening quote are padding, not content.
            field.text.clear();
            field.too_long = false;
            state = State::kQuoted;
            ++pos_;
          } else {
            state = State::kUnquoted;
          }
          break;
        case State::kUnquoted:
        case State::kAfterQuote:
          if (c == separator_) {
            ++pos_;
            field_done = true;
          } else if (IsLineBreak(c)) {
            pos_ += (c == '\r' && pos_ + 1 < size && content_[pos_ + 1] == '\n') ? 2 : 1;
            field_done = true;
            record_done = true;
          } else if (state == State::kAfterQuote && IsBlankChar(c)) {
            ++pos_;
          } else {
            if (c == '"' && state == State::kUnquoted) field.stray_quote = true;
            if (state == State::kAfterQuote) field.text_after_quote = true;
            append(c);
            ++pos_;
          }
          break;
        case State::kQuoted:
          if (c != '"') {
            append(c);
            ++pos_;
          } else if (pos_ + 1 < size && content_[pos_ + 1] == '"') {
            append('"');
            pos_ += 2;
          } else {
            state = State::kAfterQuote;
            ++pos_;
          }
          break;
      }
    }
    if (!field_done) {
      // End of input ends the record; inside quotes it means the closing quote is missing.
      record_done = true;
      field.unterminated_quote = state == State::kQuoted;
    }
    if (!field.too_long) field.invalid_utf8 = !IsValidUtf8(field.text);
    ++record.field_count;
    if (record.fields.size() < max_fields_) record.fields.push_back(std::move(field));
  }
  return true;
}

absl::StatusOr<char> CsvReader::DetectSeparator(absl::string_view content) {
  size_t commas = 0;
  size_t semicolons = 0;
  size_t tabs = 0;
  bool in_quotes = false;
  for (char c : content) {
    if (c == '"') {
      in_quotes = !in_quotes;
    } else if (in_quotes) {
      continue;
    } else if (IsLineBreak(c)) {
      break;
    } else if (c == ',') {
      ++commas;
    } else if (c == ';') {
      ++semicolons;
    } else if (c == '\t') {
      ++tabs;
    }
  }
  if (commas > semicolons) return ',';
  if (semicolons > commas) return ';';
  if (commas > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the header line has as many ',' as ';' (", commas,
                     " each), so the column separator is unclear; separate columns with "
                     "either ',' or ';', not both"));
  }
  if (tabs > 0) {
    return absl::InvalidArgumentError(
        "the header line is separated by tabs, which are not supported; separate columns with "
        "',' or ';'");
  }
  return absl::InvalidArgumentError(
      "the header line has only one column; separate columns with ',' or ';'");
}

}  // namespace vroeg
