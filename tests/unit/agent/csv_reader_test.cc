#include "agent/sources/csv_reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using std::string_literals::operator""s;

constexpr size_t kFieldLimit = 16;
constexpr size_t kFieldsLimit = 8;

std::vector<CsvRecord> ReadAll(absl::string_view content, char separator = ',') {
  CsvReader reader(content, separator, kFieldLimit, kFieldsLimit);
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.Next(record)) records.push_back(record);
  return records;
}

std::vector<std::string> Texts(const CsvRecord& record) {
  std::vector<std::string> texts;
  for (const CsvField& field : record.fields) texts.push_back(field.text);
  return texts;
}

TEST(CsvReaderTest, SplitsFieldsAndRecords) {
  std::vector<CsvRecord> records = ReadAll("a,b,c\n1,2,3\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].row, 1u);
  EXPECT_THAT(Texts(records[0]), ElementsAre("a", "b", "c"));
  EXPECT_EQ(records[1].row, 2u);
  EXPECT_THAT(Texts(records[1]), ElementsAre("1", "2", "3"));
  EXPECT_EQ(records[1].field_count, 3u);
}

TEST(CsvReaderTest, AcceptsCrlfCrAndMissingFinalLineBreak) {
  std::vector<CsvRecord> records = ReadAll("a;b\r\n1;2\r3;4", ';');
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(Texts(records[1]), ElementsAre("1", "2"));
  EXPECT_THAT(Texts(records[2]), ElementsAre("3", "4"));
}

TEST(CsvReaderTest, UsesTheGivenSeparatorOnly) {
  std::vector<CsvRecord> records = ReadAll("a;b,c\n", ';');
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(Texts(records[0]), ElementsAre("a", "b,c"));
}

TEST(CsvReaderTest, QuotedFieldsHoldSeparatorsLineBreaksAndQuotes) {
  std::vector<CsvRecord> records =
      ReadAll("\"a,b\",\"line 1\r\nline 2\",\"say \"\"hi\"\"\"\nx,y,z\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(Texts(records[0]), ElementsAre("a,b", "line 1\r\nline 2", "say \"hi\""));
  EXPECT_FALSE(records[0].fields[2].HasError());
  // A record spanning lines is one row.
  EXPECT_EQ(records[1].row, 2u);
}

TEST(CsvReaderTest, EmptyFieldsAndEmptyQuotedFields) {
  std::vector<CsvRecord> records = ReadAll(",\"\",\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(Texts(records[0]), ElementsAre("", "", ""));
}

TEST(CsvReaderTest, SpacesAroundQuotesArePadding) {
  std::vector<CsvRecord> records = ReadAll("a,  \"b, c\"  , d \n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(Texts(records[0]), ElementsAre("a", "b, c", " d "));
  EXPECT_FALSE(records[0].fields[1].HasError());
}

TEST(CsvReaderTest, BlankLinesAreBlankRecords) {
  std::vector<CsvRecord> records = ReadAll("a,b\n\n , \n1,2\n\n");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_FALSE(records[0].IsBlank());
  EXPECT_TRUE(records[1].IsBlank());
  EXPECT_TRUE(records[2].IsBlank());
  EXPECT_FALSE(records[3].IsBlank());
  EXPECT_EQ(records[3].row, 4u);
  EXPECT_TRUE(records[4].IsBlank());
}

TEST(CsvReaderTest, FlagsAnUnterminatedQuote) {
  std::vector<CsvRecord> records = ReadAll("a,b\n1,\"2\n3,4\n");
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(records[1].fields.size(), 2u);
  EXPECT_TRUE(records[1].fields[1].unterminated_quote);
  EXPECT_EQ(records[1].fields[1].text, "2\n3,4\n");
  EXPECT_FALSE(records[1].IsBlank());
}

TEST(CsvReaderTest, FlagsStrayQuotesAndTextAfterQuotes) {
  std::vector<CsvRecord> records = ReadAll("ab\"c,\"ab\"c\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].fields[0].stray_quote);
  EXPECT_EQ(records[0].fields[0].text, "ab\"c");
  EXPECT_TRUE(records[0].fields[1].text_after_quote);
  EXPECT_EQ(records[0].fields[1].text, "abc");
}

TEST(CsvReaderTest, FlagsNulBytesAndInvalidUtf8) {
  std::vector<CsvRecord> records = ReadAll("a\0b,caf\xE9,caf\xC3\xA9\n"s);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].fields[0].has_nul);
  EXPECT_TRUE(records[0].fields[1].invalid_utf8);
  EXPECT_FALSE(records[0].fields[2].HasError());
}

TEST(CsvReaderTest, KeepsOnlyTheFieldLimitOfALongField) {
  std::vector<CsvRecord> records = ReadAll(std::string(100, 'x') + ",y\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].fields[0].too_long);
  EXPECT_EQ(records[0].fields[0].text.size(), kFieldLimit);
  EXPECT_EQ(records[0].fields[1].text, "y");
}

TEST(CsvReaderTest, CountsButDoesNotStoreFieldsBeyondTheLimit) {
  std::vector<CsvRecord> records = ReadAll(std::string(99, ',') + "\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].field_count, 100u);
  EXPECT_EQ(records[0].fields.size(), kFieldsLimit);
  EXPECT_FALSE(records[0].IsBlank());
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) { EXPECT_TRUE(ReadAll("").empty()); }

TEST(DetectSeparatorTest, PicksTheMoreFrequentSeparatorOutsideQuotes) {
  EXPECT_EQ(*CsvReader::DetectSeparator("a,b,c\n1;2;3;4;5\n"), ',');
  EXPECT_EQ(*CsvReader::DetectSeparator("a;b;\"c,d,e\"\n"), ';');
  EXPECT_EQ(*CsvReader::DetectSeparator("a;b;c,d\r\n"), ';');
}

TEST(DetectSeparatorTest, RefusesTiesTabsAndSingleColumns) {
  absl::StatusOr<char> tie = CsvReader::DetectSeparator("a,b;c\n");
  ASSERT_FALSE(tie.ok());
  EXPECT_EQ(tie.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tie.status().message(),
            "the header line has as many ',' as ';' (1 each), so the column separator is "
            "unclear; separate columns with either ',' or ';', not both");
  EXPECT_THAT(CsvReader::DetectSeparator("a\tb\n").status().message(), HasSubstr("tabs"));
  EXPECT_EQ(CsvReader::DetectSeparator("abc\n1,2\n").status().message(),
            "the header line has only one column; separate columns with ',' or ';'");
}

TEST(IsValidUtf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(IsValidUtf8Test, RefusesMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated sequence
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong, three bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("ok\xE2\x82"));
}

}  // namespace
}  // namespace vroeg
