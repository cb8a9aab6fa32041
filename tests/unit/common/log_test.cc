#include "common/log.h"

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// 23 November 2026, 09:05:07.123 UTC.
absl::Time TestTime() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 23, 9, 5, 7), absl::UTCTimeZone()) +
         absl::Milliseconds(123);
}

class LoggerTest : public ::testing::Test {
 protected:
  FakeClock clock_{TestTime()};
  Logger logger_{stderr, &clock_};
};

TEST_F(LoggerTest, FormatsTimestampLevelAndEvent) {
  EXPECT_EQ(logger_.Format(LogLevel::kInfo, "collector_started", {}),
            "ts=2026-11-23T09:05:07.123Z level=info event=collector_started");
}

TEST_F(LoggerTest, TimestampComesFromTheClock) {
  clock_.Advance(absl::Hours(15) + absl::Milliseconds(5));
  EXPECT_THAT(logger_.Format(LogLevel::kInfo, "tick", {}),
              StartsWith("ts=2026-11-24T00:05:07.128Z "));
  clock_.Set(absl::FromCivil(absl::CivilSecond(2027, 1, 2, 3, 4, 5), absl::UTCTimeZone()));
  EXPECT_THAT(logger_.Format(LogLevel::kInfo, "tick", {}),
              StartsWith("ts=2027-01-02T03:04:05.000Z "));
}

TEST_F(LoggerTest, NamesEveryLevel) {
  EXPECT_THAT(logger_.Format(LogLevel::kDebug, "e", {}), EndsWith(" level=debug event=e"));
  EXPECT_THAT(logger_.Format(LogLevel::kInfo, "e", {}), EndsWith(" level=info event=e"));
  EXPECT_THAT(logger_.Format(LogLevel::kWarning, "e", {}), EndsWith(" level=warning event=e"));
  EXPECT_THAT(logger_.Format(LogLevel::kError, "e", {}), EndsWith(" level=error event=e"));
}

TEST_F(LoggerTest, AppendsFieldsInOrder) {
  EXPECT_EQ(logger_.Format(LogLevel::kInfo, "submission_stored",
                           {{"reporter", "urn:vroeg:provider:12345678"},
                            {"observations", 42},
                            {"corrections", 0u},
                            {"ratio", 0.25},
                            {"path", std::string("/var/lib/vroeg/spool")}}),
            "ts=2026-11-23T09:05:07.123Z level=info event=submission_stored "
            "reporter=urn:vroeg:provider:12345678 observations=42 corrections=0 ratio=0.25 "
            "path=/var/lib/vroeg/spool");
}

struct QuotingCase {
  const char* name;
  std::string value;
  std::string formatted;
};

void PrintTo(const QuotingCase& c, std::ostream* os) { *os << c.name; }

class LogQuotingTest : public ::testing::TestWithParam<QuotingCase> {};

TEST_P(LogQuotingTest, FieldValue) {
  FakeClock clock(TestTime());
  Logger logger(stderr, &clock);
  EXPECT_EQ(logger.Format(LogLevel::kWarning, "e", {{"v", GetParam().value}}),
            "ts=2026-11-23T09:05:07.123Z level=warning event=e v=" + GetParam().formatted);
}

TEST_P(LogQuotingTest, EventName) {
  FakeClock clock(TestTime());
  Logger logger(stderr, &clock);
  EXPECT_EQ(logger.Format(LogLevel::kWarning, GetParam().value, {}),
            "ts=2026-11-23T09:05:07.123Z level=warning event=" + GetParam().formatted);
}

INSTANTIATE_TEST_SUITE_P(
    Values, LogQuotingTest,
    ::testing::Values(
        QuotingCase{"Bare", "plain-value_1.0:/x", "plain-value_1.0:/x"},
        QuotingCase{"Empty", "", "\"\""}, QuotingCase{"Space", "hello world", "\"hello world\""},
        QuotingCase{"Quote", "say \"hi\"", "\"say \\\"hi\\\"\""},
        QuotingCase{"Equals", "a=b", "\"a=b\""},
        QuotingCase{"Backslash", "C:\\vroeg", "\"C:\\\\vroeg\""},
        QuotingCase{"Newline", "line one\nline two", "\"line one\\nline two\""},
        QuotingCase{"CarriageReturn", "a\rb", "\"a\\x0db\""},
        QuotingCase{"Tab", "a\tb", "\"a\\x09b\""},
        QuotingCase{"Escape", "\x1b[31mred", "\"\\x1b[31mred\""},
        QuotingCase{"Nul", std::string("a\0b", 3), "\"a\\x00b\""},
        QuotingCase{"Delete", "a\x7f", "\"a\\x7f\""},
        // Bytes above ASCII are passed through as they are (UTF-8 stays readable), quoted.
        QuotingCase{"Utf8", "Cli\xc3\xabntenstop", "\"Cli\xc3\xabntenstop\""}),
    [](const ::testing::TestParamInfo<QuotingCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST_F(LoggerTest, OneEventIsOneLineWhateverTheInput) {
  std::string hostile;
  for (int c = 0; c < 256; ++c) hostile.push_back(static_cast<char>(c));
  const std::string line =
      logger_.Format(LogLevel::kError, "bad\nevent", {{"a", hostile}, {"b", "x\r\ny"}});
  EXPECT_THAT(line, Not(::testing::HasSubstr("\n")));
  EXPECT_THAT(line, Not(::testing::HasSubstr("\r")));
  EXPECT_EQ(line.find('\0'), std::string::npos);
}

TEST(LoggerWriteTest, LogWritesOneTerminatedLinePerEvent) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  {
    FakeClock clock(TestTime());
    Logger logger(out, &clock);
    logger.Info("started", {{"listen", "127.0.0.1:7443"}});
    logger.Warning("slow");
    logger.Error("failed", {{"error", "disk full\nretrying"}});
    logger.Log(LogLevel::kDebug, "detail", {{"n", 1}});
  }
  std::fclose(out);
  const std::string written(buffer, size);
  std::free(buffer);
  EXPECT_EQ(written,
            "ts=2026-11-23T09:05:07.123Z level=info event=started listen=127.0.0.1:7443\n"
            "ts=2026-11-23T09:05:07.123Z level=warning event=slow\n"
            "ts=2026-11-23T09:05:07.123Z level=error event=failed error=\"disk full\\nretrying\"\n"
            "ts=2026-11-23T09:05:07.123Z level=debug event=detail n=1\n");
}

TEST_F(LoggerTest, EventsBelowTheMinimumLevelAreNotWritten) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Logger quiet(out, &clock_, LogLevel::kWarning);
  quiet.Info("routine");
  quiet.Warning("worth_seeing");
  quiet.Error("bad");
  std::rewind(out);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), out));
  std::fclose(out);
  EXPECT_THAT(text, Not(HasSubstr("routine")));
  EXPECT_THAT(text, HasSubstr("event=worth_seeing"));
  EXPECT_THAT(text, HasSubstr("event=bad"));
}

}  // namespace
}  // namespace vroeg
