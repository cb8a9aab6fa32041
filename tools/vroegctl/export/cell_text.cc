#include "tools/vroegctl/export/cell_text.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vroeg::export_format {
namespace {

// Beyond these, fixed notation would print long runs of zeros; the exponent form is shorter and
// still reads back exactly.
constexpr double kFixedAbove = 1e-6;
constexpr double kFixedBelow = 1e15;

}  // namespace

void AppendNumber(double value, char decimal_separator, std::string* out) {
  if (!std::isfinite(value)) return;
  const double magnitude = std::fabs(value);
  const std::chars_format format =
      magnitude == 0 || (magnitude >= kFixedAbove && magnitude < kFixedBelow)
          ? std::chars_format::fixed
          : std::chars_format::general;
  char buffer[64];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  for (char* c = buffer; c != result.ptr; ++c) {
    out->push_back(*c == '.' ? decimal_separator : *c);
  }
}

void AppendDate(absl::CivilDay day, std::string* out) {
  absl::StrAppendFormat(out, "%04d-%02d-%02d", day.year(), day.month(), day.day());
}

void AppendTimestamp(absl::Time time, bool spreadsheet, std::string* out) {
  absl::StrAppend(out, absl::FormatTime(spreadsheet ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%dT%H:%M:%E*SZ",
                                        time, absl::UTCTimeZone()));
}

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace vroeg::export_format
