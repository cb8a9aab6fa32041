#include "tools/vroegctl/export/table_writer.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/tools/export/zip_reader.h"
#include "tools/vroegctl/export/cell_text.h"
#include "tools/vroegctl/export/csv_table_writer.h"
#include "tools/vroegctl/export/json_lines_table_writer.h"
#include "tools/vroegctl/export/xlsx_table_writer.h"

namespace vroeg::export_format {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::ReadZip;
using ::vroeg::testing::StatusIs;
using ::vroeg::testing::TempDir;

const std::vector<Column> kColumns = {
    {"indicator", ColumnType::kText, 0},  {"value", ColumnType::kNumber, 0},
    {"period_end", ColumnType::kDate, 0}, {"received_at", ColumnType::kTimestamp, 0},
    {"current", ColumnType::kBoolean, 0},
};

const absl::Time kReceived =
    absl::FromCivil(absl::CivilSecond(2026, 10, 1, 8, 30, 0), absl::UTCTimeZone()) +
    absl::Milliseconds(250);

// Rows that exercise quoting, decimals, negative numbers and empty cells.
std::vector<std::vector<Cell>> SampleRows() {
  return {
      {std::string("wachtenden"), 12.0, absl::CivilDay(2026, 9, 30), kReceived, true},
      {std::string("say \"hi\", then; go\r\nnext"), -5.5, absl::CivilDay(2026, 9, 30), Cell{},
       false},
      {std::string(""), Cell{}, Cell{}, Cell{}, Cell{}},
  };
}

// RFC 4180 parsing: records of fields, quoted fields with doubled quotes, CRLF between records.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text, char separator) {
  std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    std::string& field = records.back().back();
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == separator) {
      records.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      records.emplace_back(1);
    } else {
      // RFC 4180: a line break in a field needs quotes.
      EXPECT_TRUE(c != '\r' && c != '\n') << "a bare line break outside quotes at " << i;
      field.push_back(c);
    }
  }
  // The text ends with CRLF, which opened one empty record too many.
  if (records.back() == std::vector<std::string>(1)) records.pop_back();
  return records;
}

std::string WriteCsv(CsvDialect dialect) {
  std::ostringstream out;
  CsvTableWriter writer(kColumns, dialect, &out);
  for (const std::vector<Cell>& row : SampleRows()) {
    EXPECT_THAT(writer.WriteRow("ignored", row), IsOk());
  }
  EXPECT_THAT(writer.Finish(), IsOk());
  return out.str();
}

TEST(CsvTableWriterTest, StandardDialectReadsBack) {
  const std::string text = WriteCsv(CsvDialect::kStandard);
  EXPECT_THAT(text, StartsWith("indicator,value,period_end,received_at,current\r\n"));
  const auto records = ParseCsv(text, ',');
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1],
              ElementsAre("wachtenden", "12", "2026-09-30", "2026-10-01T08:30:00.25Z", "true"));
  EXPECT_THAT(records[2],
              ElementsAre("say \"hi\", then; go\r\nnext", "-5.5", "2026-09-30", "", "false"));
  EXPECT_THAT(records[3], ElementsAre("", "", "", "", ""));
}

TEST(CsvTableWriterTest, DutchExcelDialectUsesSemicolonDecimalCommaAndBom) {
  const std::string text = WriteCsv(CsvDialect::kDutchExcel);
  ASSERT_THAT(text, StartsWith("\xEF\xBB\xBFindicator;value;"));
  const auto records = ParseCsv(text.substr(3), ';');
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1],
              ElementsAre("wachtenden", "12", "2026-09-30", "2026-10-01 08:30:00", "true"));
  // The ; in the text is quoted; the , is not special here.
  EXPECT_THAT(text, HasSubstr("\"say \"\"hi\"\", then; go\r\nnext\";-5,5;"));
  EXPECT_THAT(records[2][1], "-5,5");
}

TEST(CsvTableWriterTest, RefusesARowThatDoesNotMatchTheColumns) {
  std::ostringstream out;
  CsvTableWriter writer(kColumns, CsvDialect::kStandard, &out);
  EXPECT_THAT(writer.WriteRow("", std::vector<Cell>{std::string("x")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 cells for 5 columns")));
  EXPECT_THAT(writer.WriteRow("", std::vector<Cell>{1.0, 1.0, Cell{}, Cell{}, Cell{}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("column indicator")));
  EXPECT_EQ(out.str(), "indicator,value,period_end,received_at,current\r\n");
}

TEST(CsvTableWriterTest, SaysSoWhenTheStreamFails) {
  std::ostringstream out;
  CsvTableWriter writer(kColumns, CsvDialect::kStandard, &out);
  out.setstate(std::ios::badbit);
  EXPECT_THAT(writer.WriteRow("", SampleRows()[0]), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(JsonLinesTableWriterTest, OneTypedObjectPerLine) {
  std::ostringstream out;
  JsonLinesTableWriter writer(kColumns, &out);
  for (const std::vector<Cell>& row : SampleRows()) ASSERT_THAT(writer.WriteRow("", row), IsOk());
  ASSERT_THAT(writer.Finish(), IsOk());

  const std::string text = out.str();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::vector<std::string> lines = absl::StrSplit(text.substr(0, text.size() - 1), '\n');
  ASSERT_EQ(lines.size(), 3u);
  std::vector<google::protobuf::Struct> objects(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &objects[i]).ok())
        << lines[i];
  }
  const auto& first = objects[0].fields();
  EXPECT_EQ(first.at("indicator").string_value(), "wachtenden");
  EXPECT_EQ(first.at("value").number_value(), 12);
  EXPECT_EQ(first.at("period_end").string_value(), "2026-09-30");
  EXPECT_EQ(first.at("received_at").string_value(), "2026-10-01T08:30:00.25Z");
  EXPECT_TRUE(first.at("current").bool_value());
  const auto& second = objects[1].fields();
  EXPECT_EQ(second.at("indicator").string_value(), "say \"hi\", then; go\r\nnext");
  EXPECT_EQ(second.at("value").number_value(), -5.5);
  EXPECT_EQ(second.at("received_at").kind_case(), google::protobuf::Value::kNullValue);
  const auto& third = objects[2].fields();
  EXPECT_EQ(third.at("value").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(third.at("current").kind_case(), google::protobuf::Value::kNullValue);
  // Members keep the column order.
  EXPECT_THAT(lines[0], StartsWith("{\"indicator\":\"wachtenden\",\"value\":12,\"period_end\""));
}

TEST(CellTextTest, NumbersReadBackExactly) {
  auto text = [](double value, char separator = '.') {
    std::string out;
    AppendNumber(value, separator, &out);
    return out;
  };
  EXPECT_EQ(text(12), "12");
  EXPECT_EQ(text(0), "0");
  EXPECT_EQ(text(0.1), "0.1");
  EXPECT_EQ(text(-61000), "-61000");
  EXPECT_EQ(text(1234567.89, ','), "1234567,89");
  EXPECT_EQ(text(1e20), "1e+20");
  EXPECT_EQ(text(std::nan("")), "");

  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> values(-1e12, 1e12);
  for (int i = 0; i < 10000; ++i) {
    const double value = values(random) / (1 << (i % 20));
    const std::string written = text(value);
    double read = 0;
    std::from_chars(written.data(), written.data() + written.size(), read);
    ASSERT_EQ(read, value) << written;
  }
}

// The XML of one cell, e.g. <c r="B2" s="1"><v>12</v></c>, or "" when there is none.
std::string CellXml(const std::string& sheet, const std::string& reference) {
  const size_t start = sheet.find("<c r=\"" + reference + "\"");
  if (start == std::string::npos) return "";
  const size_t close = sheet.find('>', start);
  if (sheet[close - 1] == '/') return sheet.substr(start, close + 1 - start);
  const size_t end = sheet.find("</c>", start);
  return sheet.substr(start, end + 4 - start);
}

// Sheet names in workbook order.
std::vector<std::string> SheetNames(const std::string& workbook) {
  std::vector<std::string> names;
  for (size_t at = workbook.find("<sheet name=\""); at != std::string::npos;
       at = workbook.find("<sheet name=\"", at + 1)) {
    const size_t start = at + 13;
    names.push_back(workbook.substr(start, workbook.find('"', start) - start));
  }
  return names;
}

class XlsxTableWriterTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Write(const OutputOptions& options,
                                           const std::vector<std::pair<std::string, int>>& rows) {
    const std::string path = dir_.Sub("export.xlsx");
    absl::StatusOr<std::unique_ptr<XlsxTableWriter>> writer =
        XlsxTableWriter::Create(kColumns, path, options);
    EXPECT_THAT(writer, IsOk());
    if (!writer.ok()) return {};
    const std::vector<std::vector<Cell>> samples = SampleRows();
    for (const auto& [sheet, sample] : rows) {
      EXPECT_THAT((*writer)->WriteRow(sheet, samples[sample]), IsOk());
    }
    EXPECT_THAT((*writer)->Finish(), IsOk());
    absl::StatusOr<std::map<std::string, std::string>> files = ReadZip(ReadWholeFile(path));
    EXPECT_THAT(files, IsOk());
    return files.value_or(std::map<std::string, std::string>{});
  }

  TempDir dir_;
};

TEST_F(XlsxTableWriterTest, OneSheetPerNameWithTypedCells) {
  OutputOptions options;
  options.temp_dir = dir_.path();
  options.sheets = {"availability", "capacity", "staff"};
  auto files =
      Write(options, {{"capacity", 0}, {"availability", 1}, {"capacity", 2}, {"finance", 0}});
  ASSERT_TRUE(files.contains("xl/workbook.xml"));
  // Declared sheets first, in order, even the empty one; then the others as they came.
  EXPECT_THAT(SheetNames(files["xl/workbook.xml"]),
              ElementsAre("availability", "capacity", "staff", "finance"));

  const std::string& capacity = files["xl/worksheets/sheet2.xml"];
  // Header row: bold inline strings.
  EXPECT_THAT(CellXml(capacity, "A1"), HasSubstr("<t>indicator</t>"));
  EXPECT_THAT(CellXml(capacity, "E1"), HasSubstr("<t>current</t>"));
  // Text as an inline string, a number as a number, date and timestamp as formatted serials,
  // a boolean as a boolean.
  EXPECT_THAT(CellXml(capacity, "A2"), HasSubstr("t=\"inlineStr\""));
  EXPECT_THAT(CellXml(capacity, "A2"), HasSubstr("<t>wachtenden</t>"));
  EXPECT_EQ(CellXml(capacity, "B2"), "<c r=\"B2\"><v>12</v></c>");
  EXPECT_THAT(CellXml(capacity, "C2"), HasSubstr("<v>46295</v>"));  // 2026-09-30
  EXPECT_THAT(CellXml(capacity, "C2"), HasSubstr(" s=\""));
  EXPECT_THAT(CellXml(capacity, "D2"), HasSubstr("<v>46296.35"));  // 2026-10-01 08:30
  EXPECT_THAT(CellXml(capacity, "E2"), HasSubstr("t=\"b\""));
  EXPECT_THAT(CellXml(capacity, "E2"), HasSubstr("<v>1</v>"));
  // The third sample row is empty: no cells at all in row 3.
  EXPECT_EQ(CellXml(capacity, "A3"), "");
  EXPECT_EQ(CellXml(capacity, "B3"), "");
  // Frozen header, widths, autofilter over header and rows.
  EXPECT_THAT(capacity, HasSubstr("state=\"frozen\""));
  EXPECT_THAT(capacity, HasSubstr("ySplit=\"1\""));
  EXPECT_THAT(capacity, HasSubstr("<col min=\"4\" max=\"4\" width=\"20"));
  EXPECT_THAT(capacity, HasSubstr("<autoFilter ref=\"A1:E3\"/>"));

  const std::string& availability = files["xl/worksheets/sheet1.xml"];
  EXPECT_THAT(CellXml(availability, "A2"), HasSubstr("<t>say \"hi\", then; go"));
  EXPECT_EQ(CellXml(availability, "B2"), "<c r=\"B2\"><v>-5.5</v></c>");
  EXPECT_THAT(CellXml(availability, "E2"), HasSubstr("<v>0</v>"));

  // The number formats the dates and timestamps point at.
  EXPECT_THAT(files["xl/styles.xml"], HasSubstr("formatCode=\"yyyy-mm-dd\""));
  EXPECT_THAT(files["xl/styles.xml"], HasSubstr("formatCode=\"yyyy-mm-dd hh:mm:ss\""));
}

TEST_F(XlsxTableWriterTest, ContinuesOnANewSheetAtTheRowLimit) {
  OutputOptions options;
  options.temp_dir = dir_.path();
  options.max_rows_per_sheet = 3;  // header and two rows
  auto files = Write(options, {{"availability", 0},
                               {"availability", 0},
                               {"availability", 1},
                               {"availability", 0},
                               {"availability", 1}});
  EXPECT_THAT(SheetNames(files["xl/workbook.xml"]),
              ElementsAre("availability", "availability (2)", "availability (3)"));
  EXPECT_THAT(files["xl/worksheets/sheet2.xml"], HasSubstr("<t>indicator</t>"));
  EXPECT_EQ(CellXml(files["xl/worksheets/sheet2.xml"], "B2"), "<c r=\"B2\"><v>-5.5</v></c>");
  EXPECT_EQ(CellXml(files["xl/worksheets/sheet2.xml"], "B3"), "<c r=\"B3\"><v>12</v></c>");
  EXPECT_EQ(CellXml(files["xl/worksheets/sheet3.xml"], "B2"), "<c r=\"B2\"><v>-5.5</v></c>");
  EXPECT_EQ(CellXml(files["xl/worksheets/sheet3.xml"], "A3"), "");
}

TEST_F(XlsxTableWriterTest, AWorkbookWithoutRowsHasAHeaderSheet) {
  OutputOptions options;
  options.temp_dir = dir_.path();
  auto files = Write(options, {});
  EXPECT_THAT(SheetNames(files["xl/workbook.xml"]), ElementsAre("export"));
  EXPECT_THAT(CellXml(files["xl/worksheets/sheet1.xml"], "A1"), HasSubstr("<t>indicator</t>"));
}

TEST_F(XlsxTableWriterTest, RefusesSheetNamesExcelRefuses) {
  OutputOptions options;
  options.sheets = {"a/b"};
  EXPECT_THAT(XlsxTableWriter::Create(kColumns, dir_.Sub("x.xlsx"), options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a/b")));
  options.sheets = {};
  auto writer = XlsxTableWriter::Create(kColumns, dir_.Sub("x.xlsx"), options);
  ASSERT_THAT(writer, IsOk());
  EXPECT_THAT((*writer)->WriteRow(std::string(32, 'x'), SampleRows()[0]),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OpenTableWriterTest, ParsesFormatsAndDialects) {
  EXPECT_THAT(ParseFormat("jsonl"), ::vroeg::testing::IsOkAndHolds(Format::kJsonLines));
  EXPECT_THAT(ParseFormat("xls"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("csv, jsonl or xlsx")));
  EXPECT_THAT(ParseCsvDialect("nl"), ::vroeg::testing::IsOkAndHolds(CsvDialect::kDutchExcel));
  EXPECT_THAT(ParseCsvDialect("de"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OpenTableWriterTest, AFileAppearsOnlyWhenFinished) {
  TempDir dir;
  const std::string path = dir.Sub("export.csv");
  std::ostringstream unused;
  for (Format format : {Format::kCsv, Format::kJsonLines, Format::kXlsx}) {
    OutputOptions options;
    options.format = format;
    options.temp_dir = dir.path();
    {
      auto writer = OpenTableWriter(kColumns, options, path, unused);
      ASSERT_THAT(writer, IsOk());
      ASSERT_THAT((*writer)->WriteRow("availability", SampleRows()[0]), IsOk());
      EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
      EXPECT_FALSE(std::filesystem::exists(path));
    }
    // Abandoned: nothing left behind.
    EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
    EXPECT_FALSE(std::filesystem::exists(path));

    auto writer = OpenTableWriter(kColumns, options, path, unused);
    ASSERT_THAT(writer, IsOk());
    ASSERT_THAT((*writer)->WriteRow("availability", SampleRows()[0]), IsOk());
    ASSERT_THAT((*writer)->Finish(), IsOk());
    writer->reset();
    EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
    const std::string content = ReadWholeFile(path);
    if (format == Format::kXlsx) {
      EXPECT_THAT(ReadZip(content), IsOk());
    } else {
      EXPECT_THAT(content, HasSubstr("wachtenden"));
    }
    std::filesystem::remove(path);
  }
  EXPECT_EQ(unused.str(), "");
}

TEST(OpenTableWriterTest, WritesEveryFormatToStandardOutput) {
  TempDir dir;
  for (Format format : {Format::kCsv, Format::kJsonLines, Format::kXlsx}) {
    OutputOptions options;
    options.format = format;
    options.temp_dir = dir.path();
    std::ostringstream out;
    auto writer = OpenTableWriter(kColumns, options, "-", out);
    ASSERT_THAT(writer, IsOk());
    ASSERT_THAT((*writer)->WriteRow("availability", SampleRows()[0]), IsOk());
    ASSERT_THAT((*writer)->Finish(), IsOk());
    writer->reset();
    if (format == Format::kXlsx) {
      auto files = ReadZip(out.str());
      ASSERT_THAT(files, IsOk());
      EXPECT_THAT(SheetNames((*files)["xl/workbook.xml"]), ElementsAre("availability"));
    } else {
      EXPECT_THAT(out.str(), HasSubstr("wachtenden"));
    }
  }
  // The workbook's temporary file is gone.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(OpenTableWriterTest, SaysWhenTheFileCannotBeCreated) {
  TempDir dir;
  std::ostringstream unused;
  for (Format format : {Format::kCsv, Format::kXlsx}) {
    OutputOptions options;
    options.format = format;
    EXPECT_THAT(OpenTableWriter(kColumns, options, dir.Sub("missing/export"), unused),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("missing/export.partial")));
  }
  EXPECT_THAT(OpenTableWriter({}, OutputOptions{}, dir.Sub("x"), unused),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vroeg::export_format
