#include "agent/sources/observation_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using std::string_literals::operator""s;

// "indicator|care_form|municipality|start..end=value@row:column", compact enough to compare
// whole results at a glance.
std::string Describe(const api::v1::Observation& o) {
  return absl::StrCat(o.indicator(), "|", o.care_form(), "|", o.municipality(), "|",
                      o.period().start(), "..", o.period().end(), "=",
                      absl::StrFormat("%.15g", o.value()), "@", o.source_row(), ":",
                      o.source_column());
}

std::vector<std::string> Observations(const ReadResult& result) {
  std::vector<std::string> out;
  for (const api::v1::Observation& o : result.observations) out.push_back(Describe(o));
  return out;
}

std::vector<std::string> Problems(const ReadResult& result) {
  std::vector<std::string> out;
  for (const Problem& p : result.problems) out.push_back(FormatProblem(p));
  return out;
}

ReadResult CsvOk(absl::string_view content) {
  absl::StatusOr<ReadResult> result = ParseCsv(content);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : ReadResult{};
}

ReadResult JsonOk(absl::string_view content) {
  absl::StatusOr<ReadResult> result = ParseJson(content);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : ReadResult{};
}

constexpr absl::string_view kLongHeader =
    "period_start,period_end,care_form,municipality,indicator,value\n";

// ---- ParseDecimal ----

TEST(ParseDecimalTest, AcceptsPlainDecimals) {
  struct Case {
    const char* text;
    double expected;
  };
  for (const Case& c : std::vector<Case>{{"12", 12},
                                         {" 12 ", 12},
                                         {"007", 7},
                                         {"+1.5", 1.5},
                                         {"-2.25", -2.25},
                                         {"6,5", 6.5},
                                         {",5", 0.5},
                                         {"5.", 5},
                                         {"1e3", 1000},
                                         {"1,5E+2", 150},
                                         {"25E-2", 0.25},
                                         {"1e-400", 0},
                                         {"1e308", 1e308},
                                         {"100000000000", 1e11}}) {
    absl::StatusOr<double> value = ParseDecimal(c.text);
    ASSERT_TRUE(value.ok()) << c.text << ": " << value.status();
    EXPECT_DOUBLE_EQ(*value, c.expected) << c.text;
  }
}

TEST(ParseDecimalTest, MinusZeroIsZero) {
  for (const char* text : {"-0", "-0,0", "-0e5", "-1e-400"}) {
    absl::StatusOr<double> value = ParseDecimal(text);
    ASSERT_TRUE(value.ok()) << text;
    EXPECT_EQ(*value, 0.0) << text;
    EXPECT_FALSE(std::signbit(*value)) << text;
  }
}

TEST(ParseDecimalTest, RefusesWithSpecificMessages) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "is empty; expected a number"},
           {"   ", "is empty; expected a number"},
           {"1.234,5", "1.234,5 has more than one separator; use no thousands separators"},
           {"1,234,567", "1,234,567 has more than one separator; use no thousands separators"},
           {"1 234", "1 234 has a space inside; use no thousands separators"},
           {"1\xC2\xA0"
            "234",
            "1\xC2\xA0"
            "234 has a space inside; use no thousands separators"},
           {"0x10", "0x10 is not a decimal number"},
           {"NaN", "NaN is not a finite number"},
           {"-inf", "-inf is not a finite number"},
           {"Infinity", "Infinity is not a finite number"},
           {"1e400", "1e400 is too large"},
           {"-1e400", "-1e400 is too large"},
           {"1e", "1e is not a decimal number"},
           {".", ". is not a decimal number"},
           {"+-1", "+-1 is not a decimal number"},
           {"12 kg", "12 kg is not a decimal number"},
           {"=1+2", "=1+2 is not a decimal number"},
           {"1.5.", "1.5. has more than one separator; use no thousands separators"},
           {"\xE2\x82\xAC 5", "\xE2\x82\xAC 5 is not a decimal number"},
       }) {
    absl::StatusOr<double> value = ParseDecimal(c.text);
    ASSERT_FALSE(value.ok()) << c.text;
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(value.status().message(), c.message) << c.text;
  }
}

TEST(ParseDecimalTest, ShortensLongTextInMessages) {
  const std::string text = std::string(100, '9') + "x";
  EXPECT_EQ(ParseDecimal(text).status().message(),
            std::string(60, '9') + "... is not a decimal number");
}

// ---- ParseDate ----

TEST(ParseDateTest, AcceptsIsoAndDutchForms) {
  EXPECT_EQ(*ParseDate("2026-01-31"), "2026-01-31");
  EXPECT_EQ(*ParseDate(" 2024-02-29 "), "2024-02-29");
  EXPECT_EQ(*ParseDate("31-01-2026"), "2026-01-31");
  EXPECT_EQ(*ParseDate("1-2-2026"), "2026-02-01");
  EXPECT_EQ(*ParseDate("01/02/2026"), "2026-02-01");
  EXPECT_EQ(*ParseDate("2000-02-29"), "2000-02-29");
}

TEST(ParseDateTest, RefusesWithSpecificMessages) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "is empty; expected a date (YYYY-MM-DD or DD-MM-YYYY)"},
           {"2025-02-30", "2025-02-30 is not a valid date"},
           {"2025-02-29", "2025-02-29 is not a valid date"},
           {"1900-02-29", "1900-02-29 is not a valid date"},
           {"2025-13-01", "2025-13-01 is not a valid date"},
           {"0-1-2025", "0-1-2025 is not a valid date"},
           {"0000-01-01", "0000-01-01 is not a valid date"},
           {"31.01.2025", "31.01.2025 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
           {"2025/01/31", "2025/01/31 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
           {"1-2/2025", "1-2/2025 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
           {"2025-1-31", "2025-1-31 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
           {"31-01-25", "31-01-25 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
           {"2025-01-31T00:00", "2025-01-31T00:00 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
           {"--2025", "--2025 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
           {"jan 2025", "jan 2025 is not a date; use YYYY-MM-DD or DD-MM-YYYY"},
       }) {
    absl::StatusOr<std::string> date = ParseDate(c.text);
    ASSERT_FALSE(date.ok()) << c.text;
    EXPECT_EQ(date.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(date.status().message(), c.message) << c.text;
  }
}

// ---- CSV, long form ----

TEST(ParseCsvTest, ReadsLongFormWithCommas) {
  ReadResult result = CsvOk(absl::StrCat(kLongHeader,
                                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,12\n"
                                         "2026-01-01,2026-01-31,Crisishulp ,0995, Wachtenden,3.5\n"
                                         "2026-01-01,2026-03-31,,,fte_bezet,-0\n"));
  EXPECT_EQ(result.format, FileFormat::kCsvLong);
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=12@2:value",
                          "wachtenden|crisishulp|GM0995|2026-01-01..2026-01-31=3.5@3:value",
                          "fte_bezet|||2026-01-01..2026-03-31=0@4:value"));
  EXPECT_EQ(result.observations[0].period().granularity(), type::v1::GRANULARITY_UNSPECIFIED);
}

TEST(ParseCsvTest, LongFormColumnsInAnyOrderAndAnyCase) {
  ReadResult result = CsvOk(
      " VALUE ;Indicator;Period_End;PERIOD_START\n"
      "7;plaatsen_bezet;31-03-2026;1-1-2026\n");
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("plaatsen_bezet|||2026-01-01..2026-03-31=7@2:value"));
}

TEST(ParseCsvTest, SemicolonsWithDecimalCommaAndDutchDates) {
  ReadResult result = CsvOk(
      "period_start;period_end;care_form;municipality;indicator;value\n"
      "1-1-2026;31-1-2026;verblijf;GM0034;wachttijd_intake_weken;6,5\n"
      "01/01/2026;31/01/2026;verblijf;GM0034;verzuim_ratio;0,073\n");
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(
      Observations(result),
      ElementsAre("wachttijd_intake_weken|verblijf|GM0034|2026-01-01..2026-01-31=6.5@2:value",
                  "verzuim_ratio|verblijf|GM0034|2026-01-01..2026-01-31=0.073@3:value"));
}

TEST(ParseCsvTest, StripsByteOrderMarkAndAcceptsCrlf) {
  ReadResult result =
      CsvOk(absl::StrCat("\xEF\xBB\xBF", "period_start,period_end,indicator,value\r\n",
                         "2026-01-01,2026-01-31,omzet_totaal,1000000\r\n",
                         "2026-02-01,2026-02-28,omzet_totaal,2e6\r\n"));
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("omzet_totaal|||2026-01-01..2026-01-31=1000000@2:value",
                          "omzet_totaal|||2026-02-01..2026-02-28=2000000@3:value"));
}

TEST(ParseCsvTest, QuotedFieldsWithSeparatorsLineBreaksAndQuotes) {
  ReadResult result = CsvOk(absl::StrCat(
      kLongHeader, "\"2026-01-01\",2026-01-31,\"verblijf\",\"GM0034\",\"wachtenden\",\"1,5\"\n",
      "2026-01-01,2026-01-31,\"a \"\"quoted\"\"\nform\",GM0034,wachtenden,2\n",
      "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,3\n"));
  EXPECT_THAT(Problems(result), IsEmpty());
  // The quoted line break keeps the third record on row 3 although it starts on line 4.
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=1.5@2:value",
                          "wachtenden|a \"quoted\"\nform|GM0034|2026-01-01..2026-01-31=2@3:value",
                          "wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=3@4:value"));
}

TEST(ParseCsvTest, MunicipalityIsNormalisedOrPassedThrough) {
  ReadResult result = CsvOk(absl::StrCat(kLongHeader,
                                         "2026-01-01,2026-01-31,verblijf,34,wachtenden,1\n"
                                         "2026-01-01,2026-01-31,verblijf,gm0034,wachtenden,1\n"
                                         "2026-01-01,2026-01-31,verblijf,Almere,wachtenden,1\n"));
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|verblijf|34|2026-01-01..2026-01-31=1@2:value",
                          "wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=1@3:value",
                          "wachtenden|verblijf|Almere|2026-01-01..2026-01-31=1@4:value"));
}

TEST(ParseCsvTest, FormulaTextIsOnlyText) {
  ReadResult result = CsvOk(absl::StrCat(
      kLongHeader, "2026-01-01,2026-01-31,\"=cmd|' /C calc'!A0\",@SUM(A1),+wachtenden,1\n"));
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(
      Observations(result),
      ElementsAre("+wachtenden|=cmd|' /c calc'!a0|@SUM(A1)|2026-01-01..2026-01-31=1@2:value"));
}

TEST(ParseCsvTest, SkipsBlankRowsButCountsThem) {
  ReadResult result = CsvOk(absl::StrCat(
      kLongHeader, "\n,,,,,\n", "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,4\n\n\n"));
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=4@4:value"));
}

TEST(ParseCsvTest, HeaderOnlyIsAnEmptyResult) {
  ReadResult result = CsvOk(kLongHeader);
  EXPECT_THAT(Observations(result), IsEmpty());
  EXPECT_THAT(Problems(result), IsEmpty());
}

TEST(ParseCsvTest, LongFormRowProblems) {
  ReadResult result =
      CsvOk(absl::StrCat(kLongHeader,
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,\n",             // 2
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,0x10\n",         // 3
                         "2026-01-01,2026-01-31,verblijf,GM0034,,1\n",                      // 4
                         "2025-02-30,31-13-2025,verblijf,GM0034,wachtenden,1\n",            // 5
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden\n",              // 6
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,1,extra\n",      // 7
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,1.234,5\n",      // 8
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,\"1.234,5\"\n",  // 9
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,5\n"));          // 10
  EXPECT_THAT(
      Problems(result),
      ElementsAre("row 2, column value: is empty; expected a number",
                  "row 3, column value: 0x10 is not a decimal number",
                  "row 4, column indicator: is empty; expected an indicator code",
                  "row 5, column period_start: 2025-02-30 is not a valid date",
                  "row 5, column period_end: 31-13-2025 is not a valid date",
                  "row 6: has 5 fields, the header has 6", "row 7: has 7 fields, the header has 6",
                  "row 8: has 7 fields, the header has 6",
                  "row 9, column value: 1.234,5 has more than one separator; use no "
                  "thousands separators"));
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=5@10:value"));
  EXPECT_EQ(result.problems[1].row, 3u);
  EXPECT_EQ(result.problems[1].column, "value");
  EXPECT_EQ(result.problems[1].value, "0x10");
}

TEST(ParseCsvTest, SyntaxProblemsNameRowAndColumn) {
  ReadResult result =
      CsvOk(absl::StrCat(kLongHeader, "2026-01-01,2026-01-31,ver\0blijf,GM0034,wachtenden,1\n"s,
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtt\xEFjd,1\n",
                         "2026-01-01,2026-01-31,verblijf,GM0034,wacht\"enden,1\n",
                         "2026-01-01,2026-01-31,verblijf,GM0034,\"wacht\"enden,1\n",
                         "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,\"1\n2026-01-01,2\n"));
  EXPECT_THAT(
      Problems(result),
      ElementsAre("row 2, column care_form: contains a NUL byte",
                  "row 3, column indicator: is not valid UTF-8; save the file as UTF-8",
                  "row 4, column indicator: has a quote inside an unquoted field; put the field "
                  "in quotes and double the quote",
                  "row 5, column indicator: has text after a closing quote; double each quote "
                  "inside a quoted field",
                  "row 6, column value: has a quote that is never closed, so the rest of the file "
                  "was read into it; add the closing quote"));
  EXPECT_THAT(Observations(result), IsEmpty());
  EXPECT_EQ(result.problems[0].value, "");  // not repeated: it is not text
}

TEST(ParseCsvTest, FieldLongerThanTheLimitIsAProblem) {
  const std::string huge(kMaxFieldBytes + 1, 'x');
  ReadResult result =
      CsvOk(absl::StrCat(kLongHeader, "2026-01-01,2026-01-31,", huge, ",GM0034,wachtenden,1\n"));
  EXPECT_THAT(Problems(result), ElementsAre("row 2, column care_form: is longer than 4096 bytes"));
  EXPECT_EQ(result.problems[0].value, std::string(60, 'x') + "...");
}

// ---- CSV, wide form ----

TEST(ParseCsvTest, ReadsWideFormAndSkipsEmptyCells) {
  ReadResult result = CsvOk(
      "period_start;period_end;care_form;municipality;Wachtenden;wachttijd_intake_weken;"
      "clientenstop\n"
      "1-1-2026;31-1-2026;verblijf;GM0034;12;6,5;\n"
      "1-1-2026;31-1-2026;crisishulp;GM0034; ;2;0\n");
  EXPECT_EQ(result.format, FileFormat::kCsvWide);
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(
      Observations(result),
      ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=12@2:wachtenden",
                  "wachttijd_intake_weken|verblijf|GM0034|2026-01-01..2026-01-31=6.5@2:"
                  "wachttijd_intake_weken",
                  "wachttijd_intake_weken|crisishulp|GM0034|2026-01-01..2026-01-31=2@3:"
                  "wachttijd_intake_weken",
                  "clientenstop|crisishulp|GM0034|2026-01-01..2026-01-31=0@3:clientenstop"));
}

TEST(ParseCsvTest, WideFormWithoutCareFormOrMunicipality) {
  ReadResult result = CsvOk(
      "period_start,period_end,omzet_totaal,fte_bezet\n"
      "2026-01-01,2026-12-31,1500000,\"41,5\"\n");
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("omzet_totaal|||2026-01-01..2026-12-31=1500000@2:omzet_totaal",
                          "fte_bezet|||2026-01-01..2026-12-31=41.5@2:fte_bezet"));
}

TEST(ParseCsvTest, WideFormBadCellLosesOnlyThatCell) {
  ReadResult result = CsvOk(
      "period_start;period_end;care_form;wachtenden;clientenstop\n"
      "1-1-2026;31-1-2026;verblijf;veel;1\n"
      "1-1-2026;31-2-2026;verblijf;3;x\n");
  EXPECT_THAT(Problems(result),
              ElementsAre("row 2, column wachtenden: veel is not a decimal number",
                          "row 3, column period_end: 31-2-2026 is not a valid date",
                          "row 3, column clientenstop: x is not a decimal number"));
  EXPECT_THAT(Observations(result),
              ElementsAre("clientenstop|verblijf||2026-01-01..2026-01-31=1@2:clientenstop"));
}

// ---- CSV, whole-file errors ----

TEST(ParseCsvTest, WholeFileErrors) {
  struct Case {
    std::string content;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"",
       "the file is empty; it needs a header line such as "
       "period_start,period_end,care_form,municipality,indicator,value"},
      {"\xEF\xBB\xBF \r\n\n",
       "the file is empty; it needs a header line such as "
       "period_start,period_end,care_form,municipality,indicator,value"},
      {"\nperiod_start,period_end,x\n",
       "the first line is empty; the header must be on the "
       "first line"},
      {"\xFF\xFEp\0e\0", "the file is UTF-16 encoded; save it as UTF-8 (in Excel: CSV UTF-8)"},
      {"period_start,period_end;care_form;x,y\n",
       "the header line has as many ',' as ';' (2 each), so the column separator is unclear; "
       "separate columns with either ',' or ';', not both"},
      {"period_start\n2026-01-01\n",
       "the header line has only one column; separate columns with ',' or ';'"},
      {"period_start,period_end,wachtenden,Wachtenden \n",
       "column wachtenden appears twice in the header (columns 3 and 4); remove one of them"},
      {"period_start,period_end,,wachtenden\n",
       "column 3 of the header has no name; name the column or remove it"},
      {"period_end,indicator,value\n",
       "the header has no period_start column; every file needs period_start and period_end "
       "columns with the first and last day of each period"},
      {"period_start,indicator,value\n",
       "the header has no period_end column; every file needs period_start and period_end "
       "columns with the first and last day of each period"},
      {"period_start,period_end,indicator\n",
       "the header has an indicator column but no value column; a long-form file needs both, a "
       "wide-form file neither"},
      {"period_start,period_end,value\n",
       "the header has a value column but no indicator column; a long-form file needs both, a "
       "wide-form file neither"},
      {"period_start,period_end,indicator,value,opmerking\n",
       "column opmerking does not belong in a long-form file, which may only have the columns "
       "period_start, period_end, care_form, municipality, indicator, value; remove it"},
      {"period_start,period_end,care_form,municipality\n",
       "the header has no indicator columns; add a column per indicator code (wide form), or "
       "indicator and value columns (long form)"},
      {"period_start,period_end,\"wacht\n",
       "the header is not usable: column 3 has a quote that is never closed, so the rest of the "
       "file was read into it; add the closing quote"},
      {"period_start,period_end,caf\xE9\n",
       "the header is not usable: column 3 is not valid UTF-8; save the file as UTF-8"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ReadResult> result = ParseCsv(c.content);
    ASSERT_FALSE(result.ok()) << c.content;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.content;
    EXPECT_EQ(result.status().message(), c.message) << c.content;
  }
}

TEST(ParseCsvTest, RefusesMoreColumnsThanTheLimit) {
  std::string header = "period_start,period_end";
  for (int i = 0; i < 1998; ++i) absl::StrAppend(&header, ",c", i);
  absl::StatusOr<ReadResult> result = ParseCsv(header + "\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "the header has 2000 columns, more than the limit of 1000; split the file");
}

TEST(ParseCsvTest, RefusesMoreObservationsThanTheLimit) {
  // Wide rows keep the content small: 1000 figures per row.
  std::string content = "period_start,period_end";
  std::string row = "2026-01-01,2026-01-31";
  for (int i = 0; i < 998; ++i) {
    absl::StrAppend(&content, ",i", i);
    absl::StrAppend(&row, ",1");
  }
  absl::StrAppend(&content, "\n");
  absl::StrAppend(&row, "\n");
  for (size_t i = 0; i <= kMaxObservations / 998; ++i) content += row;
  absl::StatusOr<ReadResult> result = ParseCsv(content);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "the file has more than 1000000 figures; split it into smaller files");
}

TEST(ParseCsvTest, RefusesContentOverTheSizeLimit) {
  const std::string content(kMaxFileBytes + 1, 'a');
  absl::StatusOr<ReadResult> result = ParseCsv(content);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "the file is 67108865 bytes, more than the limit of 67108864 bytes (64 MiB); split "
            "it into smaller files");
}

TEST(ParseCsvTest, ListsAtMostTheProblemLimit) {
  std::string content(kLongHeader);
  for (size_t i = 0; i < kMaxProblems + 5; ++i) {
    content += "2026-01-01,2026-01-31,verblijf,GM0034,wachtenden,x\n";
  }
  ReadResult result = CsvOk(content);
  ASSERT_EQ(result.problems.size(), kMaxProblems + 1);
  EXPECT_EQ(FormatProblem(result.problems.back()),
            "5 more problems were not listed; fix the ones above and read the file again");
}

// ---- JSON ----

TEST(ParseJsonTest, ReadsAnArrayOfObjects) {
  ReadResult result = JsonOk(R"([
    {"period_start": "2026-01-01", "period_end": "2026-01-31", "care_form": "Verblijf",
     "municipality": "0034", "indicator": "wachtenden", "value": 12},
    {"period_start": "1-1-2026", "period_end": "31-3-2026", "care_form": null,
     "municipality": null, "indicator": "fte_bezet", "value": "41,5"},
    {"period_start": "2026-01-01", "period_end": "2026-12-31", "indicator": "omzet_totaal",
     "value": -0}
  ])");
  EXPECT_EQ(result.format, FileFormat::kJson);
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=12@1:value",
                          "fte_bezet|||2026-01-01..2026-03-31=41.5@2:value",
                          "omzet_totaal|||2026-01-01..2026-12-31=0@3:value"));
  EXPECT_FALSE(std::signbit(result.observations[2].value()));
}

TEST(ParseJsonTest, ReadsAnObservationsObject) {
  ReadResult result = JsonOk(
      "\xEF\xBB\xBF{\"observations\": [{\"period_start\": \"2026-01-01\", \"period_end\": "
      "\"2026-01-31\", \"care_form\": \"crisishulp\", \"indicator\": \"wachtenden\", \"value\": "
      "3}]}");
  EXPECT_THAT(Problems(result), IsEmpty());
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|crisishulp||2026-01-01..2026-01-31=3@1:value"));
}

TEST(ParseJsonTest, EmptyArrayIsAnEmptyResult) {
  ReadResult result = JsonOk("[]");
  EXPECT_THAT(Observations(result), IsEmpty());
  EXPECT_THAT(Problems(result), IsEmpty());
}

TEST(ParseJsonTest, ItemProblems) {
  ReadResult result = JsonOk(R"([
    "not an object",
    {"period_start": "2026-01-01", "period_end": "2026-01-31", "indicator": "wachtenden",
     "value": 1, "colour": "red", "Value": 2},
    {"period_end": 20260131, "indicator": "wachtenden", "value": true},
    {"period_start": null, "period_end": "2026-01-31", "indicator": "", "care_form": 7},
    {"period_start": "2026-01-01", "period_end": "2026-01-31", "indicator": "wachtenden",
     "value": "1.234,5"},
    {"period_start": "2026-02-30", "period_end": "2026-01-31", "indicator": "wachtenden",
     "value": {"n": 1}},
    {"period_start": "2026-01-01", "period_end": "2026-01-31", "indicator": "wachtenden",
     "value": "NaN", "municipality": ["GM0034"]},
    {"period_start": "2026-01-01", "period_end": "2026-01-31", "indicator": "w\u0000x",
     "value": null},
    {"period_start": "2026-01-01", "period_end": "2026-01-31", "indicator": "wachtenden",
     "value": 1e308}
  ])");
  EXPECT_THAT(
      Problems(result),
      ElementsAre(
          "row 1: is a string; expected an object",
          "row 2, column Value: unknown key; expected period_start, period_end, care_form, "
          "municipality, indicator, value",
          "row 2, column colour: unknown key; expected period_start, period_end, care_form, "
          "municipality, indicator, value",
          "row 3, column period_start: is missing",
          "row 3, column period_end: is a number; expected a string",
          "row 3, column value: is a boolean; expected a number or a string",
          "row 4, column period_start: is null; expected a string",
          "row 4, column care_form: is a number; expected a string",
          "row 4, column indicator: is empty; expected an indicator code",
          "row 4, column value: is missing",
          "row 5, column value: 1.234,5 has more than one separator; use no thousands "
          "separators",
          "row 6, column period_start: 2026-02-30 is not a valid date",
          "row 6, column value: is an object; expected a number or a string",
          "row 7, column municipality: is an array; expected a string",
          "row 7, column value: NaN is not a finite number",
          "row 8, column indicator: contains a NUL byte",
          "row 8, column value: is null; expected a number or a string"));
  EXPECT_THAT(Observations(result),
              ElementsAre("wachtenden|||2026-01-01..2026-01-31=1e+308@9:value"));
}

TEST(ParseJsonTest, WholeFileErrors) {
  struct Case {
    std::string content;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "the file is empty; expected a JSON array of observations"},
      {"  \n", "the file is empty; expected a JSON array of observations"},
      {"[{\"value\": 1}",
       "the file is not valid JSON: Unexpected end of string. Expected , or "
       "] after array value."},
      {"[1e400]", "the file is not valid JSON: Number exceeds the range of double."},
      {"[NaN]", "the file is not valid JSON: Unexpected token."},
      {"[{\"value\": 1, \"value\": 2}]",
       "the file is not valid JSON: the key value appears twice in one object; keep one"},
      {"[\"caf\xE9\"]", "the file is not valid JSON: Encountered non UTF-8 code points."},
      {"42",
       "the top level of the JSON is a number; expected an array of observations, or an "
       "object with an observations array"},
      {"\"observations\"",
       "the top level of the JSON is a string; expected an array of "
       "observations, or an object with an observations array"},
      {"{}",
       "the top-level object has no observations key; write {\"observations\": [...]} or "
       "a bare array of observations"},
      {"{\"observations\": [], \"version\": 2}",
       "the top-level object has the key version; its only key may be observations, an array "
       "of observations"},
      {"{\"observations\": {}}", "observations is an object; expected an array of observations"},
      {std::string(100000, '['),
       "the JSON nests deeper than 16 levels; expected an array of "
       "observation objects with plain values"},
      {std::string(17, '[') + std::string(17, ']'),
       "the JSON nests deeper than 16 levels; expected an array of observation objects with "
       "plain values"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ReadResult> result = ParseJson(c.content);
    ASSERT_FALSE(result.ok()) << c.content.substr(0, 100);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(result.status().message()), c.message) << c.content.substr(0, 100);
  }
}

TEST(ParseJsonTest, DepthScanIgnoresBracketsInStrings) {
  const std::string brackets(1000, '[');
  ReadResult result = JsonOk(
      absl::StrCat(R"([{"period_start": "2026-01-01", "period_end": "2026-01-31", "indicator": ")",
                   brackets, R"(\"", "value": 1}])"));
  EXPECT_THAT(Problems(result), IsEmpty());
  ASSERT_EQ(result.observations.size(), 1u);
  EXPECT_EQ(result.observations[0].indicator(), brackets + "\"");
}

TEST(ParseJsonTest, NestingWithinTheLimitIsAnItemProblem) {
  ReadResult result = JsonOk(absl::StrCat(
      R"([{"period_start": "2026-01-01", "period_end": "2026-01-31", "indicator": "x", "value": )",
      std::string(14, '['), std::string(14, ']'), "}]"));
  EXPECT_THAT(Problems(result),
              ElementsAre("row 1, column value: is an array; expected a number or a string"));
}

// ---- Files ----

class ReadObservationFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* source = std::getenv("VROEG_SOURCE_DIR");
    data_dir_ = source != nullptr ? std::filesystem::path(source) / "tests/data/files"
                                  : std::filesystem::path(VROEG_TEST_DATA_DIR);
    temp_dir_ = std::filesystem::temp_directory_path() /
                absl::StrCat("observation_reader_test_", getpid(), "_",
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(temp_dir_);
    std::filesystem::create_directories(temp_dir_);
  }
  void TearDown() override { std::filesystem::remove_all(temp_dir_); }

  std::string Write(const std::string& name, absl::string_view content) {
    const std::filesystem::path path = temp_dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::filesystem::path data_dir_;
  std::filesystem::path temp_dir_;
};

TEST_F(ReadObservationFileTest, ReadsLongCommaSample) {
  absl::StatusOr<ReadResult> result = ReadObservationFile(data_dir_ / "long_comma.csv");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->format, FileFormat::kCsvLong);
  EXPECT_THAT(Problems(*result), IsEmpty());
  EXPECT_THAT(Observations(*result),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=12@2:value",
                          "wachtenden|crisishulp|995|2026-01-01..2026-01-31=3@3:value",
                          "fte_bezet|||2026-01-01..2026-03-31=41.5@4:value"));
}

TEST_F(ReadObservationFileTest, ReadsWideExcelSample) {
  absl::StatusOr<ReadResult> result = ReadObservationFile(data_dir_ / "wide_semicolon_excel.csv");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->format, FileFormat::kCsvWide);
  EXPECT_THAT(Problems(*result), IsEmpty());
  EXPECT_THAT(Observations(*result),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=12@2:wachtenden",
                          "wachttijd_intake_weken|verblijf|GM0034|2026-01-01..2026-01-31=6.5@2:"
                          "wachttijd_intake_weken",
                          "wachttijd_intake_weken|crisishulp|GM0034|2026-01-01..2026-01-31="
                          "2.25@3:wachttijd_intake_weken"));
}

TEST_F(ReadObservationFileTest, ReadsJsonSamples) {
  absl::StatusOr<ReadResult> array = ReadObservationFile(data_dir_ / "observations.json");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->format, FileFormat::kJson);
  EXPECT_THAT(Problems(*array), IsEmpty());
  EXPECT_THAT(Observations(*array),
              ElementsAre("wachtenden|verblijf|GM0034|2026-01-01..2026-01-31=12@1:value",
                          "fte_bezet|||2026-01-01..2026-03-31=41.5@2:value"));

  absl::StatusOr<ReadResult> wrapped = ReadObservationFile(data_dir_ / "observations_wrapped.json");
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_THAT(Problems(*wrapped), IsEmpty());
  EXPECT_THAT(Observations(*wrapped),
              ElementsAre("wachtenden|crisishulp|GM0034|2026-01-01..2026-01-31=3@1:value"));
}

TEST_F(ReadObservationFileTest, ExtensionDecidesInAnyCase) {
  const std::string json = R"([{"period_start": "2026-01-01", "period_end": "2026-01-31",
                               "indicator": "wachtenden", "value": 1}])";
  absl::StatusOr<ReadResult> upper = ReadObservationFile(Write("EXPORT.JSON", json));
  ASSERT_TRUE(upper.ok()) << upper.status();
  EXPECT_EQ(upper->format, FileFormat::kJson);

  // A .csv file is read as CSV even when it looks like JSON.
  absl::StatusOr<ReadResult> csv = ReadObservationFile(Write("export.Csv", json));
  ASSERT_FALSE(csv.ok());
  EXPECT_THAT(csv.status().message(), HasSubstr("export.Csv: the header"));
}

TEST_F(ReadObservationFileTest, SniffsFilesWithoutAKnownExtension) {
  absl::StatusOr<ReadResult> json =
      ReadObservationFile(Write("export.txt", "\xEF\xBB\xBF \n{\"observations\": []}"));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->format, FileFormat::kJson);

  absl::StatusOr<ReadResult> csv =
      ReadObservationFile(Write("export", "period_start;period_end;wachtenden\n"));
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->format, FileFormat::kCsvWide);
}

TEST_F(ReadObservationFileTest, ContentErrorsNameTheFile) {
  const std::string path = Write("empty.csv", "");
  absl::StatusOr<ReadResult> result = ReadObservationFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            absl::StrCat(path,
                         ": the file is empty; it needs a header line such as "
                         "period_start,period_end,care_form,municipality,indicator,value"));
}

TEST_F(ReadObservationFileTest, MissingFileIsNotFound) {
  const std::string path = (temp_dir_ / "missing.csv").string();
  absl::StatusOr<ReadResult> result = ReadObservationFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(),
            absl::StrCat("cannot read ", path, ": the file does not exist; check the path"));
}

TEST_F(ReadObservationFileTest, DirectoryIsInvalid) {
  absl::StatusOr<ReadResult> result = ReadObservationFile(temp_dir_.string());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), absl::StrCat(temp_dir_.string(),
                                                    " is a directory; give the path of a CSV or "
                                                    "JSON file"));
}

TEST_F(ReadObservationFileTest, OtherFailuresNameTheFileAndTheReason) {
  const std::string path = (temp_dir_ / std::string(300, 'x')).string();
  absl::StatusOr<ReadResult> result = ReadObservationFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), absl::StrCat("cannot read ", path, ": File name too long"));
}

TEST_F(ReadObservationFileTest, UnreadableFileIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root can read any file";
  const std::string path = Write("secret.csv", "period_start,period_end,x\n");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  absl::StatusOr<ReadResult> result = ReadObservationFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(result.status().message(),
            absl::StrCat("cannot read ", path,
                         ": permission denied; let the agent's user read the file"));
}

TEST_F(ReadObservationFileTest, FileOverTheSizeLimitIsRefusedBeforeReading) {
  const std::string path = Write("huge.csv", "");
  // A sparse file: the limit is checked from its size, so nothing is read.
  std::filesystem::resize_file(path, kMaxFileBytes + 1);
  absl::StatusOr<ReadResult> result = ReadObservationFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            absl::StrCat(path,
                         ": the file is larger than the limit of 67108864 bytes (64 MiB); "
                         "split it into smaller files"));
}

TEST(FileFormatNameTest, NamesEachFormat) {
  EXPECT_EQ(FileFormatName(FileFormat::kCsvLong), "CSV (long form)");
  EXPECT_EQ(FileFormatName(FileFormat::kCsvWide), "CSV (wide form)");
  EXPECT_EQ(FileFormatName(FileFormat::kJson), "JSON");
}

}  // namespace
}  // namespace vroeg
