// Malformed and hostile inputs: each must give one specific problem or whole-file error, and
// none may crash or hang the reader.

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/sources/observation_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

using ::testing::IsEmpty;
using std::string_literals::operator""s;

constexpr absl::string_view kHeader =
    "period_start,period_end,care_form,municipality,indicator,value\n";
constexpr absl::string_view kKey = "2026-01-01,2026-01-31,verblijf,GM0034,";
constexpr absl::string_view kItemStart =
    R"([{"period_start": "2026-01-01", "period_end": "2026-01-31", )";

enum class Kind { kCsv, kJson };

struct MalformedCase {
  std::string name;
  Kind kind;
  std::string content;
  // Exactly one of these is set; when neither is, the input is accepted without problems (text
  // that merely looks dangerous).
  std::string status;   // the whole-file error message
  std::string problem;  // FormatProblem of the only problem
};

std::string CsvRow(absl::string_view indicator_and_value) {
  return absl::StrCat(kHeader, kKey, indicator_and_value, "\n");
}

std::string ManyColumns(int count) {
  std::string header = "period_start,period_end";
  for (int i = 2; i < count; ++i) absl::StrAppend(&header, ",indicator_", i);
  return header + "\n";
}

std::vector<MalformedCase> Cases() {
  return {
      // CSV cells.
      {"TruncatedQuote", Kind::kCsv, CsvRow("wachtenden,\"12"), "",
       "row 2, column value: has a quote that is never closed, so the rest of the file was read "
       "into it; add the closing quote"},
      {"NulByteInValue", Kind::kCsv,
       CsvRow("wachtenden,1\0"s
              "2"),
       "", "row 2, column value: contains a NUL byte"},
      {"InvalidUtf8InCareForm", Kind::kCsv,
       absl::StrCat(kHeader, "2026-01-01,2026-01-31,verbl\xFFijf,GM0034,wachtenden,1\n"), "",
       "row 2, column care_form: is not valid UTF-8; save the file as UTF-8"},
      {"OverlongUtf8InIndicator", Kind::kCsv, CsvRow("\xC0\xAF,1"), "",
       "row 2, column indicator: is not valid UTF-8; save the file as UTF-8"},
      {"FormulaInValue", Kind::kCsv, CsvRow("wachtenden,\"=cmd|' /C calc'!A0\""), "",
       "row 2, column value: =cmd|' /C calc'!A0 is not a decimal number"},
      {"FormulaInCareFormIsText", Kind::kCsv,
       absl::StrCat(kHeader, "2026-01-01,2026-01-31,\"=cmd|' /C calc'!A0\",GM0034,wachtenden,1\n"),
       "", ""},
      {"Overflow", Kind::kCsv, CsvRow("wachtenden,1e400"), "",
       "row 2, column value: 1e400 is too large"},
      {"MinusZero", Kind::kCsv, CsvRow("wachtenden,-0"), "", ""},
      {"Hex", Kind::kCsv, CsvRow("wachtenden,0x10"), "",
       "row 2, column value: 0x10 is not a decimal number"},
      {"NotANumber", Kind::kCsv, CsvRow("wachtenden,NaN"), "",
       "row 2, column value: NaN is not a finite number"},
      {"Infinity", Kind::kCsv, CsvRow("wachtenden,-Infinity"), "",
       "row 2, column value: -Infinity is not a finite number"},
      {"ThousandsSeparator", Kind::kCsv, CsvRow("wachtenden,\"1.234,5\""), "",
       "row 2, column value: 1.234,5 has more than one separator; use no thousands separators"},
      {"HugeField", Kind::kCsv, CsvRow(absl::StrCat(std::string(5000, 'w'), ",1")), "",
       "row 2, column indicator: is longer than 4096 bytes"},
      {"TooFewFields", Kind::kCsv, CsvRow("wachtenden"), "",
       "row 2: has 5 fields, the header has 6"},
      {"ImpossibleDate", Kind::kCsv,
       absl::StrCat(kHeader, "2025-02-30,2025-03-31,verblijf,GM0034,wachtenden,1\n"), "",
       "row 2, column period_start: 2025-02-30 is not a valid date"},
      {"TextAfterClosingQuote", Kind::kCsv, CsvRow("\"wacht\"enden,1"), "",
       "row 2, column indicator: has text after a closing quote; double each quote inside a "
       "quoted field"},
      {"StrayQuote", Kind::kCsv, CsvRow("wacht\"enden,1"), "",
       "row 2, column indicator: has a quote inside an unquoted field; put the field in quotes "
       "and double the quote"},
      {"ManyFieldsInARow", Kind::kCsv, CsvRow(std::string(100000, ',')), "",
       "row 2: has 100005 fields, the header has 6"},
      // CSV whole-file.
      {"DuplicateHeader", Kind::kCsv, "period_start,period_end,Value,indicator,value\n",
       "column value appears twice in the header (columns 3 and 5); remove one of them", ""},
      {"TwoThousandColumns", Kind::kCsv, ManyColumns(2000),
       "the header has 2000 columns, more than the limit of 1000; split the file", ""},
      {"Utf16", Kind::kCsv, "\xFF\xFEp\0e\0r\0"s,
       "the file is UTF-16 encoded; save it as UTF-8 (in Excel: CSV UTF-8)", ""},
      {"SeparatorTie", Kind::kCsv, "period_start;period_end,value\n",
       "the header line has as many ',' as ';' (1 each), so the column separator is unclear; "
       "separate columns with either ',' or ';', not both",
       ""},
      {"OnlyByteOrderMark", Kind::kCsv, "\xEF\xBB\xBF",
       "the file is empty; it needs a header line such as "
       "period_start,period_end,care_form,municipality,indicator,value",
       ""},
      {"UnterminatedQuoteInHeader", Kind::kCsv, "period_start,\"period_end,value\n",
       "the header is not usable: column 2 has a quote that is never closed, so the rest of the "
       "file was read into it; add the closing quote",
       ""},
      {"BinaryGarbage", Kind::kCsv, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0"s,
       "the header line has only one column; separate columns with ',' or ';'", ""},
      {"NulInHeader", Kind::kCsv, "period_start,period_end,wacht\0enden\n"s,
       "the header is not usable: column 3 contains a NUL byte", ""},
      // JSON.
      {"DeepNesting", Kind::kJson, std::string(100000, '['),
       "the JSON nests deeper than 16 levels; expected an array of observation objects with "
       "plain values",
       ""},
      {"DeepObjects", Kind::kJson, std::string(50000, '{'),
       "the JSON nests deeper than 16 levels; expected an array of observation objects with "
       "plain values",
       ""},
      {"TruncatedJson", Kind::kJson, "[{",
       "the file is not valid JSON: Unexpected end of string. Expected an object key or }.", ""},
      {"JsonInvalidUtf8", Kind::kJson, "[\"\xC3\x28\"]",
       "the file is not valid JSON: Encountered non UTF-8 code points.", ""},
      {"JsonNumberOverflow", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": "wachtenden", "value": 1e400}])"),
       "the file is not valid JSON: Number exceeds the range of double.", ""},
      {"JsonExtraTopLevelKey", Kind::kJson, R"({"observations": [], "provider": "x"})",
       "the top-level object has the key provider; its only key may be observations, an array "
       "of observations",
       ""},
      {"JsonItemNotObject", Kind::kJson, "[[1, 2]]", "", "row 1: is an array; expected an object"},
      {"JsonUnknownKey", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": "wachtenden", "value": 1, "valeu": 2}])"), "",
       "row 1, column valeu: unknown key; expected period_start, period_end, care_form, "
       "municipality, indicator, value"},
      {"JsonBooleanValue", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": "wachtenden", "value": false}])"), "",
       "row 1, column value: is a boolean; expected a number or a string"},
      {"JsonStringOverflow", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": "wachtenden", "value": "1e400"}])"), "",
       "row 1, column value: 1e400 is too large"},
      {"JsonHexString", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": "wachtenden", "value": "0x10"}])"), "",
       "row 1, column value: 0x10 is not a decimal number"},
      {"JsonHugeString", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": ")", std::string(5000, 'w'), R"(", "value": 1}])"),
       "", "row 1, column indicator: is longer than 4096 bytes"},
      {"JsonEscapedNul", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": "wacht\u0000enden", "value": 1}])"), "",
       "row 1, column indicator: contains a NUL byte"},
      // Found by fuzz_json_reader: the key went into the report with its NUL byte.
      {"JsonNulInUnknownKey", Kind::kJson,
       absl::StrCat(kItemStart, R"("indicator": "wachtenden", "value": 1, "val\u0000ue": 2}])"),
       "",
       "row 1, column val\\x00ue: unknown key; expected period_start, period_end, care_form, "
       "municipality, indicator, value"},
  };
}

class MalformedInputTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedInputTest, GivesItsSpecificProblem) {
  const MalformedCase& c = GetParam();
  absl::StatusOr<ReadResult> result =
      c.kind == Kind::kCsv ? ParseCsv(c.content) : ParseJson(c.content);
  if (!c.status.empty()) {
    ASSERT_FALSE(result.ok()) << "expected: " << c.status;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(result.status().message(), c.status);
    return;
  }
  ASSERT_TRUE(result.ok()) << result.status();
  if (c.problem.empty()) {
    EXPECT_THAT(result->problems, IsEmpty()) << FormatProblems(result->problems);
    ASSERT_EQ(result->observations.size(), 1u);
    return;
  }
  ASSERT_EQ(result->problems.size(), 1u) << FormatProblems(result->problems);
  EXPECT_EQ(FormatProblem(result->problems[0]), c.problem);
  EXPECT_THAT(result->observations, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Inputs, MalformedInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& param) {
                           return param.param.name;
                         });

// Values that look dangerous but are accepted keep their meaning, not a spreadsheet's.
TEST(MalformedInputTest, AcceptedOddValuesKeepTheirMeaning) {
  absl::StatusOr<ReadResult> minus_zero = ParseCsv(CsvRow("wachtenden,-0"));
  ASSERT_TRUE(minus_zero.ok());
  ASSERT_EQ(minus_zero->observations.size(), 1u);
  EXPECT_EQ(minus_zero->observations[0].value(), 0.0);
  EXPECT_FALSE(std::signbit(minus_zero->observations[0].value()));

  absl::StatusOr<ReadResult> formula = ParseCsv(
      absl::StrCat(kHeader, "2026-01-01,2026-01-31,\"=cmd|' /C calc'!A0\",GM0034,wachtenden,1\n"));
  ASSERT_TRUE(formula.ok());
  ASSERT_EQ(formula->observations.size(), 1u);
  EXPECT_EQ(formula->observations[0].care_form(), "=cmd|' /c calc'!a0");
}

}  // namespace
}  // namespace vroeg
