#include "agent/sources/observation_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/sources/csv_reader.h"
#include "common/identity.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace vroeg {
namespace {

constexpr absl::string_view kPeriodStart = "period_start";
constexpr absl::string_view kPeriodEnd = "period_end";
constexpr absl::string_view kCareForm = "care_form";
constexpr absl::string_view kMunicipality = "municipality";
constexpr absl::string_view kIndicator = "indicator";
constexpr absl::string_view kValue = "value";
constexpr absl::string_view kObservations = "observations";
constexpr absl::string_view kAllKeys =
    "period_start, period_end, care_form, municipality, indicator, value";
constexpr absl::string_view kExampleHeader =
    "period_start,period_end,care_form,municipality,indicator,value";

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Messages quote at most this many bytes of a value, so one huge cell cannot flood a report.
constexpr size_t kMaxQuotedBytes = 64;

// Collects problems up to kMaxProblems and counts the rest: a broken 64 MiB file could
// otherwise yield tens of millions of them.
class ProblemList {
 public:
  void Add(uint32_t row, absl::string_view column, absl::string_view value, std::string message) {
    if (problems_.size() < kMaxProblems) {
      problems_.push_back(
          Problem{row, std::string(column), std::string(value), std::move(message)});
    } else {
      ++unlisted_;
    }
  }

  std::vector<Problem> Take() && {
    if (unlisted_ > 0) {
      problems_.push_back(Problem{0, "", "",
                                  absl::StrCat(unlisted_,
                                               " more problems were not listed; fix the ones "
                                               "above and read the file again")});
    }
    return std::move(problems_);
  }

 private:
  std::vector<Problem> problems_;
  size_t unlisted_ = 0;
};

// The value as it may appear inside a message: trimmed, control characters escaped so that a
// message stays on one line, and shortened to `max_bytes`.
std::string Excerpt(absl::string_view text, size_t max_bytes = kMaxQuotedBytes) {
  text = absl::StripAsciiWhitespace(text);
  bool shortened = false;
  if (text.size() > max_bytes) {
    size_t cut = max_bytes - 4;
    // Back off to the start of a UTF-8 sequence so the cut does not split a character.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
    shortened = true;
  }
  const bool escape_high = !IsValidUtf8(text);
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F || (escape_high && byte >= 0x80)) {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
    } else {
      out.push_back(c);
    }
  }
  if (shortened) out += "...";
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsBlank(absl::string_view text) { return absl::StripAsciiWhitespace(text).empty(); }

bool HasControlCharacter(absl::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7F;
  });
}

// Parses a run of digits, saturating instead of overflowing.
int64_t SaturatingDigits(absl::string_view digits) {
  int64_t value = 0;
  for (char c : digits) value = std::min<int64_t>(value * 10 + (c - '0'), int64_t{1} << 40);
  return value;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::string NormaliseCode(absl::string_view text) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
}

// Municipality codes are normalised when they are CBS codes; anything else goes through as
// written so that the validator can report it with the catalogue's wording.
std::string NormaliseMunicipality(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  absl::StatusOr<std::string> code = NormaliseMunicipalityCode(text);
  return code.ok() ? *std::move(code) : std::string(text);
}

absl::Status CheckContentSize(absl::string_view content) {
  if (content.size() <= kMaxFileBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("the file is ", content.size(),
                                                 " bytes, more than the limit of ", kMaxFileBytes,
                                                 " bytes (64 MiB); split it into smaller files"));
}

// Strips a UTF-8 byte-order mark; refuses UTF-16, which Excel writes for "Unicode text".
absl::StatusOr<absl::string_view> StripByteOrderMark(absl::string_view content) {
  if (absl::StartsWith(content, "\xFF\xFE") || absl::StartsWith(content, "\xFE\xFF")) {
    return absl::InvalidArgumentError(
        "the file is UTF-16 encoded; save it as UTF-8 (in Excel: CSV UTF-8)");
  }
  if (absl::StartsWith(content, kUtf8Bom)) content.remove_prefix(kUtf8Bom.size());
  return content;
}

// Problem messages for the syntax flags of a CSV field, most fundamental first.
std::string FieldError(const CsvField& field) {
  if (field.unterminated_quote) {
    return "has a quote that is never closed, so the rest of the file was read into it; add "
           "the closing quote";
  }
  if (field.too_long) return absl::StrCat("is longer than ", kMaxFieldBytes, " bytes");
  if (field.has_nul) return "contains a NUL byte";
  if (field.invalid_utf8) return "is not valid UTF-8; save the file as UTF-8";
  if (field.stray_quote) {
    return "has a quote inside an unquoted field; put the field in quotes and double the quote";
  }
  return "has text after a closing quote; double each quote inside a quoted field";
}

// What a problem may repeat of a bad field: nothing that is not valid text, and not all of a
// huge one.
std::string FieldValue(const CsvField& field) {
  if (field.has_nul || field.invalid_utf8) return "";
  if (field.too_long) return Excerpt(field.text);
  return field.text;
}

std::optional<std::string> DateCell(uint32_t row, absl::string_view column, absl::string_view text,
                                    ProblemList& problems) {
  absl::StatusOr<std::string> date = ParseDate(text);
  if (!date.ok()) {
    problems.Add(row, column, text, std::string(date.status().message()));
    return std::nullopt;
  }
  return *std::move(date);
}

std::optional<double> NumberCell(uint32_t row, absl::string_view column, absl::string_view text,
                                 ProblemList& problems) {
  absl::StatusOr<double> number = ParseDecimal(text);
  if (!number.ok()) {
    problems.Add(row, column, text, std::string(number.status().message()));
    return std::nullopt;
  }
  return *number;
}

std::optional<std::string> IndicatorCell(uint32_t row, absl::string_view column,
                                         absl::string_view text, ProblemList& problems) {
  std::string code = NormaliseCode(text);
  if (code.empty()) {
    problems.Add(row, column, text, "is empty; expected an indicator code");
    return std::nullopt;
  }
  return code;
}

// The parts of an observation that identify what a figure is about; shared by the CSV forms
// and JSON.
struct Key {
  std::string period_start;
  std::string period_end;
  std::string care_form;
  std::string municipality;
};

api::v1::Observation MakeObservation(const Key& key, absl::string_view indicator, double value,
                                     uint32_t row, absl::string_view column) {
  api::v1::Observation observation;
  observation.set_indicator(std::string(indicator));
  observation.set_care_form(key.care_form);
  observation.set_municipality(key.municipality);
  observation.mutable_period()->set_start(key.period_start);
  observation.mutable_period()->set_end(key.period_end);
  observation.set_value(value);
  observation.set_source_row(row);
  observation.set_source_column(std::string(column));
  return observation;
}

absl::Status TooManyObservations() {
  return absl::InvalidArgumentError(absl::StrCat("the file has more than ", kMaxObservations,
                                                 " figures; split it into smaller files"));
}

// ---- CSV ----

constexpr size_t kNoColumn = static_cast<size_t>(-1);

struct CsvLayout {
  FileFormat format = FileFormat::kCsvLong;
  std::vector<std::string> names;  // trimmed, lower-cased header names
  size_t period_start = kNoColumn;
  size_t period_end = kNoColumn;
  size_t care_form = kNoColumn;
  size_t municipality = kNoColumn;
  size_t indicator = kNoColumn;
  size_t value = kNoColumn;
  std::vector<size_t> indicator_columns;  // wide form only
};

absl::StatusOr<CsvLayout> ReadHeader(const CsvRecord& header) {
  if (header.field_count > kMaxColumns) {
    return absl::InvalidArgumentError(absl::StrCat("the header has ", header.field_count,
                                                   " columns, more than the limit of ", kMaxColumns,
                                                   "; split the file"));
  }
  CsvLayout layout;
  absl::flat_hash_map<std::string, size_t> columns;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const CsvField& field = header.fields[i];
    if (field.HasError()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the header is not usable: column ", i + 1, " ", FieldError(field)));
    }
    std::string name = NormaliseCode(field.text);
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column ", i + 1, " of the header has no name; name the column or remove it"));
    }
    auto [it, inserted] = columns.emplace(name, i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", Excerpt(name), " appears twice in the header (columns ",
                       it->second + 1, " and ", i + 1, "); remove one of them"));
    }
    layout.names.push_back(std::move(name));
  }
  auto find = [&](absl::string_view name) {
    auto it = columns.find(name);
    return it == columns.end() ? kNoColumn : it->second;
  };
  layout.period_start = find(kPeriodStart);
  layout.period_end = find(kPeriodEnd);
  layout.care_form = find(kCareForm);
  layout.municipality = find(kMunicipality);
  layout.indicator = find(kIndicator);
  layout.value = find(kValue);
  for (auto [column, name] :
       {std::pair{layout.period_start, kPeriodStart}, std::pair{layout.period_end, kPeriodEnd}}) {
    if (column == kNoColumn) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the header has no ", name,
          " column; every file needs period_start and period_end columns with the first and "
          "last day of each period"));
    }
  }
  if (layout.indicator != kNoColumn || layout.value != kNoColumn) {
    layout.format = FileFormat::kCsvLong;
    if (layout.indicator == kNoColumn || layout.value == kNoColumn) {
      const bool has_indicator = layout.indicator != kNoColumn;
      return absl::InvalidArgumentError(
          absl::StrCat("the header has ", has_indicator ? "an indicator" : "a value",
                       " column but no ", has_indicator ? "value" : "indicator",
                       " column; a long-form file needs both, a wide-form file neither"));
    }
    for (const std::string& name : layout.names) {
      if (name != kPeriodStart && name != kPeriodEnd && name != kCareForm &&
          name != kMunicipality && name != kIndicator && name != kValue) {
        return absl::InvalidArgumentError(
            absl::StrCat("column ", Excerpt(name),
                         " does not belong in a long-form file, which may only have the columns ",
                         kAllKeys, "; remove it"));
      }
    }
    return layout;
  }
  layout.format = FileFormat::kCsvWide;
  for (size_t i = 0; i < layout.names.size(); ++i) {
    if (i != layout.period_start && i != layout.period_end && i != layout.care_form &&
        i != layout.municipality) {
      layout.indicator_columns.push_back(i);
    }
  }
  if (layout.indicator_columns.empty()) {
    return absl::InvalidArgumentError(
        "the header has no indicator columns; add a column per indicator code (wide form), or "
        "indicator and value columns (long form)");
  }
  return layout;
}

// Reads the rows of a CSV file after its header.
class CsvRows {
 public:
  CsvRows(const CsvLayout& layout, ReadResult& result, ProblemList& problems)
      : layout_(layout), result_(result), problems_(problems) {}

  absl::Status Add(const CsvRecord& record) {
    if (record.IsBlank()) return absl::OkStatus();
    const uint32_t row = record.row;
    // An unterminated quote also swallows the separators after it, so it explains a wrong
    // field count and is reported instead.
    if (!record.fields.empty() && record.fields.back().unterminated_quote) {
      const size_t column = record.fields.size() - 1;
      problems_.Add(row, column < layout_.names.size() ? layout_.names[column] : "", "",
                    FieldError(record.fields.back()));
      return absl::OkStatus();
    }
    if (record.field_count != layout_.names.size()) {
      problems_.Add(
          row, "", "",
          absl::StrCat("has ", record.field_count, record.field_count == 1 ? " field" : " fields",
                       ", the header has ", layout_.names.size()));
      return absl::OkStatus();
    }
    std::optional<Key> key = ReadKey(record);
    if (layout_.format == FileFormat::kCsvLong) {
      std::optional<std::string> indicator;
      std::optional<double> value;
      if (std::optional<absl::string_view> text = Cell(record, layout_.indicator)) {
        indicator = IndicatorCell(row, kIndicator, *text, problems_);
      }
      if (std::optional<absl::string_view> text = Cell(record, layout_.value)) {
        value = NumberCell(row, kValue, *text, problems_);
      }
      if (key && indicator && value) {
        return Emit(MakeObservation(*key, *indicator, *value, row, kValue));
      }
      return absl::OkStatus();
    }
    for (size_t column : layout_.indicator_columns) {
      std::optional<absl::string_view> text = Cell(record, column);
      if (!text || IsBlank(*text)) continue;
      const std::string& indicator = layout_.names[column];
      std::optional<double> value = NumberCell(row, indicator, *text, problems_);
      if (key && value) {
        VROEG_RETURN_IF_ERROR(Emit(MakeObservation(*key, indicator, *value, row, indicator)));
      }
    }
    return absl::OkStatus();
  }

 private:
  // The text of a cell, or nullopt after adding a problem for its syntax.
  std::optional<absl::string_view> Cell(const CsvRecord& record, size_t column) {
    const CsvField& field = record.fields[column];
    if (field.HasError()) {
      problems_.Add(record.row, layout_.names[column], FieldValue(field), FieldError(field));
      return std::nullopt;
    }
    return absl::string_view(field.text);
  }

  // The key columns of a row, or nullopt after adding problems for those that are wrong. All
  // are checked, so that one pass reports everything.
  std::optional<Key> ReadKey(const CsvRecord& record) {
    bool ok = true;
    Key key;
    const uint32_t row = record.row;
    auto date = [&](size_t column, std::string& out) {
      std::optional<absl::string_view> text = Cell(record, column);
      std::optional<std::string> parsed;
      if (text) parsed = DateCell(row, layout_.names[column], *text, problems_);
      if (parsed) {
        out = *std::move(parsed);
      } else {
        ok = false;
      }
    };
    date(layout_.period_start, key.period_start);
    date(layout_.period_end, key.period_end);
    if (layout_.care_form != kNoColumn) {
      std::optional<absl::string_view> text = Cell(record, layout_.care_form);
      if (text) {
        key.care_form = NormaliseCode(*text);
      } else {
        ok = false;
      }
    }
    if (layout_.municipality != kNoColumn) {
      std::optional<absl::string_view> text = Cell(record, layout_.municipality);
      if (text) {
        key.municipality = NormaliseMunicipality(*text);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return key;
  }

  absl::Status Emit(api::v1::Observation observation) {
    if (result_.observations.size() >= kMaxObservations) return TooManyObservations();
    result_.observations.push_back(std::move(observation));
    return absl::OkStatus();
  }

  const CsvLayout& layout_;
  ReadResult& result_;
  ProblemList& problems_;
};

// ---- JSON ----

// protobuf's parser limits recursion too, but its message for that is obscure and the limit is
// an implementation detail; a byte scan makes the limit ours and the error clear.
absl::Status CheckJsonDepth(absl::string_view content) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : content) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("the JSON nests deeper than ", kMaxJsonDepth,
                         " levels; expected an array of observation objects with plain values"));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::string_view JsonKind(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNullValue:
      return "null";
    case google::protobuf::Value::kNumberValue:
      return "a number";
    case google::protobuf::Value::kStringValue:
      return "a string";
    case google::protobuf::Value::kBoolValue:
      return "a boolean";
    case google::protobuf::Value::kStructValue:
      return "an object";
    case google::protobuf::Value::kListValue:
      return "an array";
    default:
      return "empty";
  }
}

// Reads one item of a JSON file into an observation, adding problems for what is wrong with it.
class JsonItem {
 public:
  JsonItem(uint32_t row, const google::protobuf::Struct& item, ProblemList& problems)
      : row_(row), fields_(item.fields()), problems_(problems) {}

  std::optional<api::v1::Observation> Read() {
    std::vector<std::string> unknown;
    for (const auto& [name, value] : fields_) {
      if (name != kPeriodStart && name != kPeriodEnd && name != kCareForm &&
          name != kMunicipality && name != kIndicator && name != kValue) {
        unknown.push_back(name);
      }
    }
    // The map's order is arbitrary; sorting keeps reports stable.
    std::sort(unknown.begin(), unknown.end());
    for (const std::string& name : unknown) {
      // A key is text the file chose, so it is shown escaped unless it is short, readable and
      // cannot break a report's line (a JSON string may hold NUL and line breaks as \u escapes).
      const bool plain =
          name.size() <= kMaxQuotedBytes && IsValidUtf8(name) && !HasControlCharacter(name);
      problems_.Add(row_, plain ? name : Excerpt(name), "",
                    absl::StrCat("unknown key; expected ", kAllKeys));
    }
    std::optional<std::string> start = Date(kPeriodStart);
    std::optional<std::string> end = Date(kPeriodEnd);
    std::optional<std::string> care_form = Text(kCareForm, /*required=*/false);
    std::optional<std::string> municipality = Text(kMunicipality, /*required=*/false);
    std::optional<std::string> indicator;
    if (std::optional<std::string> text = Text(kIndicator, /*required=*/true)) {
      indicator = IndicatorCell(row_, kIndicator, *text, problems_);
    }
    std::optional<double> value = Number();
    if (!unknown.empty() || !start || !end || !care_form || !municipality || !indicator || !value) {
      return std::nullopt;
    }
    Key key;
    key.period_start = *std::move(start);
    key.period_end = *std::move(end);
    key.care_form = NormaliseCode(*care_form);
    key.municipality = NormaliseMunicipality(*municipality);
    return MakeObservation(key, *indicator, *value, row_, kValue);
  }

 private:
  // The string under `name`; "" for an absent or null optional key; nullopt after adding a
  // problem.
  std::optional<std::string> Text(absl::string_view name, bool required) {
    auto it = fields_.find(std::string(name));
    if (it == fields_.end() || it->second.has_null_value()) {
      if (!required) return std::string();
      problems_.Add(row_, name, "",
                    it == fields_.end() ? "is missing" : "is null; expected a string");
      return std::nullopt;
    }
    if (!it->second.has_string_value()) {
      problems_.Add(row_, name, ShownValue(it->second),
                    absl::StrCat("is ", JsonKind(it->second), "; expected a string"));
      return std::nullopt;
    }
    const std::string& text = it->second.string_value();
    if (std::optional<std::string> error = TextError(text)) {
      problems_.Add(row_, name, text.size() > kMaxFieldBytes ? Excerpt(text) : "", *error);
      return std::nullopt;
    }
    return text;
  }

  std::optional<std::string> Date(absl::string_view name) {
    std::optional<std::string> text = Text(name, /*required=*/true);
    if (!text) return std::nullopt;
    return DateCell(row_, name, *text, problems_);
  }

  std::optional<double> Number() {
    auto it = fields_.find(std::string(kValue));
    if (it == fields_.end()) {
      problems_.Add(row_, kValue, "", "is missing");
      return std::nullopt;
    }
    const google::protobuf::Value& value = it->second;
    if (value.has_number_value()) {
      // The parser refuses NaN and infinities; this guards against a later change of parser.
      if (!std::isfinite(value.number_value())) {
        problems_.Add(row_, kValue, "", "is not a finite number");
        return std::nullopt;
      }
      return value.number_value() == 0 ? 0.0 : value.number_value();
    }
    if (value.has_string_value()) {
      if (std::optional<std::string> error = TextError(value.string_value())) {
        problems_.Add(row_, kValue, "", *error);
        return std::nullopt;
      }
      return NumberCell(row_, kValue, value.string_value(), problems_);
    }
    problems_.Add(row_, kValue, ShownValue(value),
                  absl::StrCat("is ", JsonKind(value), "; expected a number or a string"));
    return std::nullopt;
  }

  static std::optional<std::string> TextError(const std::string& text) {
    if (text.size() > kMaxFieldBytes) {
      return absl::StrCat("is longer than ", kMaxFieldBytes, " bytes");
    }
    if (text.find('\0') != std::string::npos) return "contains a NUL byte";
    if (!IsValidUtf8(text)) return "is not valid UTF-8";
    return std::nullopt;
  }

  static std::string ShownValue(const google::protobuf::Value& value) {
    if (value.has_number_value()) return absl::StrCat(value.number_value());
    if (value.has_bool_value()) return value.bool_value() ? "true" : "false";
    return "";
  }

  uint32_t row_;
  const google::protobuf::Map<std::string, google::protobuf::Value>& fields_;
  ProblemList& problems_;
};

// The parser's message, made readable: only its first line, as the rest repeats part of the
// input (which may not be valid text), and a duplicate key said plainly instead of as the
// internal field path.
std::string JsonParseError(absl::string_view message) {
  message = message.substr(0, message.find('\n'));
  constexpr absl::string_view kRepeatedKey = "Repeated map key: '";
  if (const size_t start = message.find(kRepeatedKey); start != absl::string_view::npos) {
    absl::string_view key = message.substr(start + kRepeatedKey.size());
    key = key.substr(0, key.find('\''));
    return absl::StrCat("the key ", Excerpt(key), " appears twice in one object; keep one");
  }
  return Excerpt(message, 256);
}

// The array of items in either accepted shape.
absl::StatusOr<const google::protobuf::ListValue*> JsonItems(const google::protobuf::Value& root) {
  if (root.has_list_value()) return &root.list_value();
  if (!root.has_struct_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the top level of the JSON is ", JsonKind(root),
                     "; expected an array of observations, or an object with an observations "
                     "array"));
  }
  const auto& fields = root.struct_value().fields();
  std::vector<std::string> others;
  for (const auto& [name, value] : fields) {
    if (name != kObservations) others.push_back(name);
  }
  if (!others.empty()) {
    std::sort(others.begin(), others.end());
    return absl::InvalidArgumentError(
        absl::StrCat("the top-level object has the key ", Excerpt(others.front()),
                     "; its only key may be observations, an array of observations"));
  }
  auto it = fields.find(std::string(kObservations));
  if (it == fields.end()) {
    return absl::InvalidArgumentError(
        "the top-level object has no observations key; write {\"observations\": [...]} or a "
        "bare array of observations");
  }
  if (!it->second.has_list_value()) {
    return absl::InvalidArgumentError(absl::StrCat("observations is ", JsonKind(it->second),
                                                   "; expected an array of observations"));
  }
  return &it->second.list_value();
}

// ---- Files ----

absl::Status ReadError(int error, const std::string& path) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(
          absl::StrCat("cannot read ", path, ": the file does not exist; check the path"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot read ", path, ": permission denied; let the agent's user read the file"));
    default: {
      char buffer[256];
      // GNU strerror_r: thread-safe, returns the message (which may not be in buffer).
      const std::string message =
          absl::StrCat("cannot read ", path, ": ", strerror_r(error, buffer, sizeof(buffer)));
      // Only these can pass by themselves; retrying anything else would fail the same way.
      const bool transient = error == EIO || error == EINTR || error == EAGAIN || error == ENFILE ||
                             error == EMFILE || error == ENOMEM;
      return transient ? absl::UnavailableError(message) : absl::InvalidArgumentError(message);
    }
  }
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ReadError(errno, path);
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat info;
  if (fstat(fd, &info) != 0) return ReadError(errno, path);
  if (S_ISDIR(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is a directory; give the path of a CSV or JSON file"));
  }
  const auto too_large = [&] {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the file is larger than the limit of ",
                                                   kMaxFileBytes,
                                                   " bytes (64 MiB); split it into smaller files"));
  };
  if (S_ISREG(info.st_mode) && static_cast<uint64_t>(info.st_size) > kMaxFileBytes) {
    return too_large();
  }
  std::string content;
  // The size may change while reading (or be unknown for a pipe); reading one byte past the
  // limit is how a too-large file is still caught.
  char buffer[1 << 16];
  while (content.size() <= kMaxFileBytes) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError(errno, path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  if (content.size() > kMaxFileBytes) return too_large();
  return content;
}

bool LooksLikeJson(absl::string_view content) {
  if (absl::StartsWith(content, kUtf8Bom)) content.remove_prefix(kUtf8Bom.size());
  content = absl::StripLeadingAsciiWhitespace(content);
  return !content.empty() && (content.front() == '[' || content.front() == '{');
}

}  // namespace

absl::string_view FileFormatName(FileFormat format) {
  switch (format) {
    case FileFormat::kCsvLong:
      return "CSV (long form)";
    case FileFormat::kCsvWide:
      return "CSV (wide form)";
    case FileFormat::kJson:
      return "JSON";
  }
  return "unknown";
}

absl::StatusOr<double> ParseDecimal(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return absl::InvalidArgumentError("is empty; expected a number");
  const auto not_decimal = [&] {
    return absl::InvalidArgumentError(absl::StrCat(Excerpt(text), " is not a decimal number"));
  };
  size_t pos = 0;
  const bool negative = text[0] == '-';
  if (text[0] == '-' || text[0] == '+') ++pos;
  const std::string word = absl::AsciiStrToLower(text.substr(pos));
  if (word == "nan" || word == "inf" || word == "infinity") {
    return absl::InvalidArgumentError(absl::StrCat(Excerpt(text), " is not a finite number"));
  }

  // Mantissa: digits and separators, with spaces between digits noted (a common way of
  // writing thousands) so that the message can say what to change.
  std::string mantissa;
  size_t separators = 0;
  bool inner_space = false;
  while (pos < text.size()) {
    const char c = text[pos];
    if (IsDigit(c)) {
      mantissa.push_back(c);
      ++pos;
    } else if (c == '.' || c == ',') {
      mantissa.push_back('.');
      ++separators;
      ++pos;
    } else if (c == ' ' && !mantissa.empty()) {
      inner_space = true;
      ++pos;
    } else if (absl::StartsWith(text.substr(pos), "\xC2\xA0") && !mantissa.empty()) {
      inner_space = true;  // no-break space, as some spreadsheets group thousands
      pos += 2;
    } else {
      break;
    }
  }
  const size_t digit_count =
      mantissa.size() - static_cast<size_t>(std::count(mantissa.begin(), mantissa.end(), '.'));
  if (digit_count == 0) return not_decimal();

  // Exponent.
  bool exponent_negative = false;
  absl::string_view exponent_digits;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      exponent_negative = text[pos] == '-';
      ++pos;
    }
    const size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    exponent_digits = text.substr(start, pos - start);
    if (exponent_digits.empty()) return not_decimal();
  }
  if (pos != text.size()) return not_decimal();
  if (separators > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), " has more than one separator; use no thousands separators"));
  }
  if (inner_space) {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), " has a space inside; use no thousands separators"));
  }

  std::string normal = mantissa;
  if (!exponent_digits.empty()) {
    absl::StrAppend(&normal, "e", exponent_negative ? "-" : "", exponent_digits);
  }
  double value = 0;
  const auto [end, error] = std::from_chars(normal.data(), normal.data() + normal.size(), value);
  if (error == std::errc::result_out_of_range) {
    // from_chars does not say which way it fell out of range: work out the decimal order of
    // magnitude from the first significant digit and the exponent.
    const size_t point = std::min(mantissa.find('.'), mantissa.size());
    const size_t first = mantissa.find_first_of("123456789");
    if (first == std::string::npos) return 0.0;
    int64_t order = first < point ? static_cast<int64_t>(point - first)
                                  : -static_cast<int64_t>(first - point - 1);
    const int64_t exponent = SaturatingDigits(exponent_digits);
    order += exponent_negative ? -exponent : exponent;
    if (order > 0) {
      return absl::InvalidArgumentError(absl::StrCat(Excerpt(text), " is too large"));
    }
    value = 0;
  } else if (error != std::errc() || end != normal.data() + normal.size() ||
             !std::isfinite(value)) {
    return not_decimal();
  }
  if (value == 0) return 0.0;  // also turns -0 into 0
  return negative ? -value : value;
}

absl::StatusOr<std::string> ParseDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) {
    return absl::InvalidArgumentError("is empty; expected a date (YYYY-MM-DD or DD-MM-YYYY)");
  }
  // Splits the text into three runs of digits separated by the same '-' or '/'.
  absl::string_view parts[3];
  size_t count = 0;
  char separator = 0;
  size_t start = 0;
  bool well_formed = true;
  for (size_t i = 0; i <= text.size() && well_formed; ++i) {
    if (i < text.size() && IsDigit(text[i])) continue;
    if (i < text.size() && text[i] != '-' && text[i] != '/') {
      well_formed = false;
    } else if (i < text.size() && separator != 0 && text[i] != separator) {
      well_formed = false;
    } else if (count == 3 || i == start) {
      well_formed = false;
    } else {
      if (i < text.size()) separator = text[i];
      parts[count++] = text.substr(start, i - start);
      start = i + 1;
    }
  }
  well_formed = well_formed && count == 3;
  int year = 0;
  int month = 0;
  int day = 0;
  if (well_formed && separator == '-' && parts[0].size() == 4 && parts[1].size() == 2 &&
      parts[2].size() == 2) {
    year = static_cast<int>(SaturatingDigits(parts[0]));
    month = static_cast<int>(SaturatingDigits(parts[1]));
    day = static_cast<int>(SaturatingDigits(parts[2]));
  } else if (well_formed && parts[0].size() <= 2 && parts[1].size() <= 2 && parts[2].size() == 4) {
    day = static_cast<int>(SaturatingDigits(parts[0]));
    month = static_cast<int>(SaturatingDigits(parts[1]));
    year = static_cast<int>(SaturatingDigits(parts[2]));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(Excerpt(text), " is not a date; use YYYY-MM-DD or DD-MM-YYYY"));
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return absl::InvalidArgumentError(absl::StrCat(Excerpt(text), " is not a valid date"));
  }
  return absl::StrFormat("%04d-%02d-%02d", year, month, day);
}

absl::StatusOr<ReadResult> ParseCsv(absl::string_view content) {
  VROEG_RETURN_IF_ERROR(CheckContentSize(content));
  VROEG_ASSIGN_OR_RETURN(content, StripByteOrderMark(content));
  if (IsBlank(content)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the file is empty; it needs a header line such as ", kExampleHeader));
  }
  const size_t first_line_end = std::min(content.find_first_of("\r\n"), content.size());
  if (IsBlank(content.substr(0, first_line_end))) {
    return absl::InvalidArgumentError(
        "the first line is empty; the header must be on the first line");
  }
  VROEG_ASSIGN_OR_RETURN(const char separator, CsvReader::DetectSeparator(content));
  CsvReader reader(content, separator, kMaxFieldBytes, kMaxColumns);
  CsvRecord record;
  reader.Next(record);
  VROEG_ASSIGN_OR_RETURN(const CsvLayout layout, ReadHeader(record));

  ReadResult result;
  result.format = layout.format;
  ProblemList problems;
  CsvRows rows(layout, result, problems);
  while (reader.Next(record)) {
    VROEG_RETURN_IF_ERROR(rows.Add(record));
  }
  result.problems = std::move(problems).Take();
  return result;
}

absl::StatusOr<ReadResult> ParseJson(absl::string_view content) {
  VROEG_RETURN_IF_ERROR(CheckContentSize(content));
  VROEG_ASSIGN_OR_RETURN(content, StripByteOrderMark(content));
  if (IsBlank(content)) {
    return absl::InvalidArgumentError("the file is empty; expected a JSON array of observations");
  }
  VROEG_RETURN_IF_ERROR(CheckJsonDepth(content));
  google::protobuf::Value root;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(content.data(), content.size()), &root);
  if (!status.ok()) {
    const std::string message(status.message());
    return absl::InvalidArgumentError(
        absl::StrCat("the file is not valid JSON: ", JsonParseError(message)));
  }
  VROEG_ASSIGN_OR_RETURN(const google::protobuf::ListValue* items, JsonItems(root));
  if (static_cast<size_t>(items->values_size()) > kMaxObservations) return TooManyObservations();

  ReadResult result;
  result.format = FileFormat::kJson;
  ProblemList problems;
  for (int i = 0; i < items->values_size(); ++i) {
    const auto row = static_cast<uint32_t>(i + 1);
    const google::protobuf::Value& item = items->values(i);
    if (!item.has_struct_value()) {
      problems.Add(row, "", "", absl::StrCat("is ", JsonKind(item), "; expected an object"));
      continue;
    }
    if (std::optional<api::v1::Observation> observation =
            JsonItem(row, item.struct_value(), problems).Read()) {
      result.observations.push_back(*std::move(observation));
    }
  }
  result.problems = std::move(problems).Take();
  return result;
}

absl::StatusOr<ReadResult> ReadObservationFile(const std::string& path) {
  VROEG_ASSIGN_OR_RETURN(const std::string content, ReadWholeFile(path));
  const std::string extension =
      absl::AsciiStrToLower(std::filesystem::path(path).extension().string());
  const bool json = extension == ".json" || (extension != ".csv" && LooksLikeJson(content));
  absl::StatusOr<ReadResult> result = json ? ParseJson(content) : ParseCsv(content);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat(path, ": ", result.status().message()));
  }
  return result;
}

}  // namespace vroeg
